import type { HandlerDescriptor } from './handler.js';
import { counterHandler } from './counter.js';
import { extendNamed, findNamed } from '../util/named-list.js';

/** Every handler wt1 ships. Adding one: a file in this folder and one entry here. */
export const HANDLERS: readonly HandlerDescriptor[] = Object.freeze([counterHandler]);

export function findHandler(
  nameOrClass: string,
  handlers: readonly HandlerDescriptor[] = HANDLERS,
): HandlerDescriptor | undefined {
  return findNamed(handlers, nameOrClass);
}

/**
 * The shipped handlers plus those of a program that embeds wt1 (see docs/handlers.md), as a new
 * list to pass to loadConfig and createCollector: nothing global changes. A name or class name
 * already taken is refused.
 */
export function withHandlers(...extra: HandlerDescriptor[]): readonly HandlerDescriptor[] {
  return extendNamed(HANDLERS, extra, 'a handler');
}
