import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LineFormatter, OutputClosed, OutputSink, unionColumns } from '../../src/reader/output.js';
import { formatLine, headerLine } from '../../src/logfile/line-format.js';

test('the sink waits for drain without piling up listeners, and stops once the reader is gone', async () => {
  const received: string[] = [];
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, callback) {
      received.push(chunk.toString());
      setImmediate(callback);
    },
  });
  const sink = new OutputSink(slow);
  const line = 'x'.repeat(1000) + '\n';
  for (let i = 0; i < 2000; i++) await sink.write(line);
  await sink.flush();
  assert.equal(received.join('').length, 2000 * line.length);
  assert.ok(slow.listenerCount('drain') === 0 && slow.listenerCount('close') <= 1, 'no listener left behind');

  slow.destroy(Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
  await new Promise((r) => setImmediate(r));
  assert.throws(() => sink.write('more\n'), OutputClosed);
});

test('lines of files with other headers are mapped onto the union of columns (TSV and JSON)', () => {
  const a = '#server_ts\tvisitor_id\ttype';
  const b = '#server_ts\tvisitor_id\ttype\tplan';
  const columns = unionColumns([a, b]);
  assert.deepEqual(columns, ['server_ts', 'visitor_id', 'type', 'plan']);
  const tsv = new LineFormatter(columns, 'tsv', {});
  assert.equal(tsv.header(), '#server_ts\tvisitor_id\ttype\tplan\n');
  assert.equal(tsv.render('T1\tv\t"page"', 'T1', a), 'T1\tv\t"page"\t\n');
  assert.equal(tsv.render('T2\tv\t"page"\t"gold"', 'T2', b), 'T2\tv\t"page"\t"gold"\n');
  assert.equal(tsv.render('T3\tv', 'T3', a, 'f1'), '', 'a line with too few fields is skipped');
  assert.equal(tsv.malformedLines, 1);

  // Without filters, a file with the output's own columns is copied line by line: the count still holds.
  const copy = new LineFormatter(unionColumns([a]), 'tsv', {});
  assert.equal(copy.render('T1\tv\t"page"', 'T1', a, 'f1'), 'T1\tv\t"page"\n');
  assert.equal(copy.render('T2\tv', 'T2', a, 'f1'), '');
  assert.equal(copy.render('T3\tv\t"page"\textra', 'T3', a, 'f2'), '');
  assert.deepEqual(
    [...copy.malformedByFile],
    [
      ['f1', 1],
      ['f2', 1],
    ],
  );

  const json = new LineFormatter(columns, 'jsonl', { types: new Set(['page']) });
  assert.equal(json.header(), '');
  assert.deepEqual(JSON.parse(json.render('T1\tv\\tw\t"page"', 'T1', a)), {
    server_ts: 'T1',
    visitor_id: 'v\tw',
    type: 'page',
    plan: null,
  });
  assert.equal(json.render('T1\tv\t"event"', 'T1', a), '');
});

test(
  'fields are unquoted by their column, not guessed: a bare id written "vip" ' +
    'stays "vip"; a quoted column without quotes is malformed',
  () => {
    const header = headerLine({
      globalVisitorId: false,
      inlinedVisitorParams: [],
      inlinedSessionParams: [],
      inlinedEventParams: [],
    }).trimEnd();
    const columns = unionColumns([header]);
    const event = {
      serverTS: 0,
      clientTS: 0,
      origAddress: '1.2.3.4',
      visitorId: '"vip"',
      sessionId: 's',
      globalVisitorId: null,
      page: '"p"',
      referer: null,
      ua: null,
      type: 'page',
      visitorParams: null,
      sessionParams: null,
      eventParams: null,
      browserWidth: 0,
      browserHeight: 0,
      screenWidth: 0,
      screenHeight: 0,
      browserLanguage: null,
      tzOffset: null,
    };
    const line = formatLine(event, {
      globalVisitorId: false,
      inlinedVisitorParams: [],
      inlinedSessionParams: [],
      inlinedEventParams: [],
    }).trimEnd();
    const json = new LineFormatter(columns, 'jsonl', { visitors: new Set(['"vip"']) });
    const row = JSON.parse(json.render(line, 'k', header)) as Record<string, string | null>;
    assert.equal(row.visitor_id, '"vip"');
    assert.equal(row.location, '"p"');
    assert.equal(new LineFormatter(columns, 'jsonl', { visitors: new Set(['vip']) }).render(line, 'k', header), '');

    const unquotedType = line.replace('\t"page"\t', '\tpage\t');
    const tsv = new LineFormatter(columns, 'tsv', { types: new Set(['page']) });
    assert.equal(tsv.render(unquotedType, 'k', header), '');
    assert.equal(tsv.malformedLines, 1);
  },
);
