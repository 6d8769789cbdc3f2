import type { TrackedEvent } from '../../src/event/event.js';

/** A complete TrackedEvent with awkward but valid values; `overrides` replace fields. */
export function sampleEvent(overrides: Partial<TrackedEvent> = {}): TrackedEvent {
  return {
    serverTS: Date.UTC(2026, 10, 27, 6, 5, 4, 123),
    clientTS: Date.UTC(2026, 10, 27, 6, 5, 3, 999),
    origAddress: '203.0.113.7',
    visitorId: 'v1',
    sessionId: 's1',
    globalVisitorId: null,
    page: 'https://site.example/a?b=c',
    referer: 'https://search.example/?q="x"',
    ua: 'Mozilla/5.0 (X11) tab\there',
    type: 'page',
    visitorParams: 'plan=pro',
    sessionParams: null,
    eventParams: 'color=blue&price=12.5&n=3&tag=a&tag=b',
    browserWidth: 1280,
    browserHeight: 720,
    screenWidth: 1920,
    screenHeight: 1080,
    browserLanguage: 'fr-FR',
    tzOffset: '-60',
    ...overrides,
  };
}
