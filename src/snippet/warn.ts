/** The snippet's only output on the host page: one console warning per problem, never an exception. */
export function warn(...what: unknown[]): void {
  try {
    console.warn('wt1:', ...what);
  } catch {
    // no console: stay silent rather than break the page
  }
}
