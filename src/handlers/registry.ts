import type { HandlerDescriptor } from './handler.js';

/** Every handler wt1 ships. Adding one: a file in this folder and one entry here. */
export const HANDLERS: readonly HandlerDescriptor[] = [];

export function findHandler(nameOrClass: string): HandlerDescriptor | undefined {
  return HANDLERS.find((h) => h.name === nameOrClass || h.wt1ClassNames.includes(nameOrClass));
}
