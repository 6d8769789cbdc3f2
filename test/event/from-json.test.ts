import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventsFromMessage, parseEventsMessage } from '../../src/event/from-json.js';
import { Wt1Error } from '../../src/errors.js';

const LIMITS = { maxEvents: 5, maxFieldLength: 32 };

function refusal(body: unknown, limits = LIMITS): { code: string; message: string } {
  try {
    parseEventsMessage(body, limits);
  } catch (error) {
    assert.ok(error instanceof Wt1Error, `not a Wt1Error: ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail('the message was accepted');
}

test('a full message maps every field to the pixel columns, message-level fields copied into each event', () => {
  const message = parseEventsMessage(
    {
      visitorId: 'v1',
      sessionId: 's1',
      vparams: 'plan=pro',
      sparams: 'ab=b',
      ua: 'App/2',
      clientLang: 'fr',
      unknownTopLevel: { anything: true },
      events: [
        {
          type: 'page',
          clientTS: 1700000000123,
          page: 'https://a.example/x',
          referer: 'https://r.example/',
          params: 'k=v&k2=v+2',
          extra: 1,
        },
        { type: 'event', params: { n: 3, ok: true, name: 'a b', skipped: null } },
      ],
    },
    LIMITS,
  );
  const events = eventsFromMessage(message, { now: 42, clientAddress: '10.1.2.3', userAgent: 'header-ua' });
  assert.equal(events.length, 2);
  assert.deepEqual(events[0], {
    serverTS: 42,
    clientTS: 1700000000123,
    origAddress: '10.1.2.3',
    visitorId: 'v1',
    sessionId: 's1',
    globalVisitorId: null,
    page: 'https://a.example/x',
    referer: 'https://r.example/',
    ua: 'App/2',
    type: 'page',
    visitorParams: 'plan=pro',
    sessionParams: 'ab=b',
    eventParams: 'k=v&k2=v+2',
    browserWidth: 0,
    browserHeight: 0,
    screenWidth: 0,
    screenHeight: 0,
    browserLanguage: 'fr',
    tzOffset: null,
  });
  assert.equal(events[1].clientTS, 0);
  assert.equal(events[1].eventParams, 'n=3&ok=true&name=a+b');
  assert.equal(events[1].page, null);
  assert.equal(events[1].visitorId, 'v1');
});

test('missing ids are generated once per message like the pixel; the User-Agent header stands in for ua', () => {
  const events = eventsFromMessage(parseEventsMessage({ events: [{}, {}] }, LIMITS), {
    now: 1,
    clientAddress: '::1',
    userAgent: 'curl/8',
  });
  assert.match(events[0].visitorId, /^Z[0-9a-f]{32}$/);
  assert.match(events[0].sessionId, /^Z[0-9a-f]{32}$/);
  assert.notEqual(events[0].visitorId, events[0].sessionId);
  assert.equal(events[1].visitorId, events[0].visitorId);
  assert.equal(events[1].sessionId, events[0].sessionId);
  assert.equal(events[0].ua, 'curl/8');
  assert.equal(events[0].type, null);
});

test('each malformed message is refused with a reason naming the field and the event index', () => {
  const cases: Array<[unknown, string]> = [
    [[], 'Bad request: the body must be a JSON object'],
    ['x', 'Bad request: the body must be a JSON object'],
    [{}, 'Bad request: events is missing'],
    [{ events: {} }, 'Bad request: events must be an array'],
    [{ events: [] }, 'Bad request: events must not be empty'],
    [{ visitorId: 7, events: [{}] }, 'Bad request: visitorId must be a string'],
    [{ events: [{}, {}, {}, { clientTS: '1700000000000' }] }, 'Bad request: events[3].clientTS must be a number'],
    // biome-ignore lint/correctness/noPrecisionLoss: 1e400 is Infinity on purpose
    [{ events: [{ clientTS: 1e400 }] }, 'Bad request: events[0].clientTS must be a number'],
    [{ events: [{}, 'page'] }, 'Bad request: events[1] must be an object'],
    [{ events: [{ type: 1 }] }, 'Bad request: events[0].type must be a string'],
    [{ events: [{ page: ['x'] }] }, 'Bad request: events[0].page must be a string'],
    [{ events: [{ params: 5 }] }, 'Bad request: events[0].params must be a string (a query string) or an object'],
    [
      { events: [{ params: { a: { b: 1 } } }] },
      'Bad request: events[0].params.a must be a string, a number or a boolean',
    ],
    [JSON.parse('{"events":[{"params":{"a":1e400}}]}'), 'Bad request: events[0].params.a must be a finite number'],
  ];
  for (const [body, message] of cases) {
    assert.deepEqual(refusal(body), { code: 'WT1_ERR_BAD_REQUEST', message }, JSON.stringify(body));
  }
});

test('limits give 413 with the limit in the message', () => {
  assert.deepEqual(refusal({ events: [{}, {}, {}, {}, {}, {}] }), {
    code: 'WT1_ERR_BODY_TOO_LARGE',
    message: 'Request body too large: events has 6 events, more than the limit of 5 per message',
  });
  assert.deepEqual(refusal({ events: [{}, { page: 'x'.repeat(33) }] }), {
    code: 'WT1_ERR_BODY_TOO_LARGE',
    message: 'Request body too large: events[1].page is 33 characters long, more than the limit of 32',
  });
  assert.deepEqual(refusal({ ua: 'u'.repeat(40), events: [{}] }).code, 'WT1_ERR_BODY_TOO_LARGE');
  // exactly at the limits is accepted
  assert.equal(parseEventsMessage({ events: [{}, {}, {}, {}, { page: 'x'.repeat(32) }] }, LIMITS).events.length, 5);
});
