/**
 * The collector's `sessionExpiration` in seconds. The build leaves this free identifier in the
 * bundle; the collector replaces it with the number when it loads the script (src/server/routes/snippet.ts).
 */
declare const __WT1_SESSION_EXPIRATION__: number;

interface Navigator {
  /** Global Privacy Control (not yet in TypeScript's DOM lib). */
  readonly globalPrivacyControl?: boolean;
}
