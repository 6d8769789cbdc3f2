import type { HandlerDescriptor } from './handler.js';
import { counterHandler } from './counter.js';

/** Every handler wt1 ships. Adding one: a file in this folder and one entry here. */
export const HANDLERS: readonly HandlerDescriptor[] = Object.freeze([counterHandler]);

export function findHandler(
  nameOrClass: string,
  handlers: readonly HandlerDescriptor[] = HANDLERS,
): HandlerDescriptor | undefined {
  return handlers.find((h) => h.name === nameOrClass || h.wt1ClassNames.includes(nameOrClass));
}

/**
 * The shipped handlers plus those of a program that embeds wt1 (see docs/handlers.md), as a new
 * list to pass to loadConfig and createCollector: nothing global changes. A name or class name
 * already taken is refused.
 */
export function withHandlers(...extra: HandlerDescriptor[]): readonly HandlerDescriptor[] {
  const list: HandlerDescriptor[] = [...HANDLERS];
  for (const descriptor of extra) {
    for (const name of [descriptor.name, ...descriptor.wt1ClassNames]) {
      if (findHandler(name, list)) throw new Error(`a handler named ${JSON.stringify(name)} is already registered`);
    }
    list.push(descriptor);
  }
  return Object.freeze(list);
}
