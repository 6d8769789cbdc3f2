import type { Input } from './input.js';
import { pixel } from './pixel.js';
import { events } from './events.js';
import { segment } from './segment.js';
import { rudderstack } from './rudderstack.js';
import { plausible } from './plausible.js';
import { umami } from './umami.js';
import { matomo } from './matomo.js';
import { ga4 } from './ga4.js';
import { jitsu } from './jitsu.js';
import { snowplow } from './snowplow.js';
import { posthog } from './posthog.js';

/**
 * Every input wt1 has, in one list: a new wire format is a file in this folder and one line here.
 * The first two are WT1's own (`builtin`: always served); the others are enabled by `inputs`.
 */
export const INPUTS: readonly Input[] = [
  pixel,
  events,
  segment,
  rudderstack,
  plausible,
  umami,
  matomo,
  ga4,
  jitsu,
  snowplow,
  posthog,
];

export function findInput(name: string): Input | undefined {
  return INPUTS.find((i) => i.name === name);
}
