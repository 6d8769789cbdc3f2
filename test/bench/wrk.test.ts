import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput } from '../../bench/wrk.js';

// Reports captured from wrk 4.1.0 (Debian) against small local node:http servers.

/** wrk -t1 -c8 -d2s --latency -H 'Referer: ...' -H 'User-Agent: ...': every response 200. */
const ALL_OK = `Running 2s test @ http://127.0.0.1:18471/public/p.gif
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   115.65us  367.16us  11.40ms   98.32%
    Req/Sec    95.61k    19.58k  107.04k    90.48%
  Latency Distribution
     50%   68.00us
     75%  106.00us
     90%  137.00us
     99%    0.98ms
  199277 requests in 2.10s, 23.57MB read
Requests/sec:  94893.04
Transfer/sec:     11.22MB
`;

/** A server answering 404 to every 5th request and closing the connection on every 97th. */
const WITH_ERRORS = `Running 2s test @ http://127.0.0.1:18472/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   223.74us  473.63us  12.32ms   95.98%
    Req/Sec    51.52k    11.42k   59.32k    90.48%
  Latency Distribution
     50%  129.00us
     75%  178.00us
     90%  286.00us
     99%    2.22ms
  107622 requests in 2.10s, 12.87MB read
  Socket errors: connect 0, read 895, write 0, timeout 0
  Non-2xx or 3xx responses: 21703
Requests/sec:  51251.06
Transfer/sec:      6.13MB
`;

/** A server answering after 850 ms or 1.2 s (one request in three never): ms and s units. */
const SLOW = `Running 4s test @ http://127.0.0.1:18473/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.00s   186.32ms   1.20s    57.14%
    Req/Sec     1.50      0.55     2.00    100.00%
  Latency Distribution
     50%  858.48ms
     75%    1.20s 
     90%    1.20s 
     99%    1.20s 
  7 requests in 4.01s, 868.00B read
Requests/sec:      1.75
Transfer/sec:     216.45B
`;

test('a report of 200s: totals, rate, percentiles in us/ms turned into ms, no errors', () => {
  assert.deepEqual(parseWrkOutput(ALL_OK), {
    requests: 199277,
    requestsPerSec: 94893.04,
    p50Ms: 0.07, // 68.00us
    p99Ms: 0.98, // 0.98ms
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
  });
});

test('Non-2xx and Socket errors lines are read', () => {
  const report = parseWrkOutput(WITH_ERRORS);
  assert.equal(report.requests, 107622);
  assert.equal(report.requestsPerSec, 51251.06);
  assert.equal(report.non2xx, 21703);
  assert.deepEqual(report.socketErrors, { connect: 0, read: 895, write: 0, timeout: 0 });
  assert.equal(report.p50Ms, 0.13); // 129.00us
  assert.equal(report.p99Ms, 2.22); // 2.22ms
});

test("latencies in ms and in s (with wrk's trailing blank) turn into ms", () => {
  const report = parseWrkOutput(SLOW);
  assert.equal(report.requests, 7);
  assert.equal(report.requestsPerSec, 1.75);
  assert.equal(report.p50Ms, 858.48);
  assert.equal(report.p99Ms, 1200); // 1.20s
});

test('each unit wrk prints is converted, to 2 decimals', () => {
  const withLatencies = (p50: string, p99: string): string =>
    ALL_OK.replace(/^( *50% +)\S+/m, `$1${p50}`).replace(/^( *99% +)\S+/m, `$1${p99}`);
  const cases: [string, string, number, number][] = [
    ['850.00us', '1.20ms', 0.85, 1.2],
    ['1.23us', '2.00s', 0, 2000],
    ['999.99ms', '1.50m', 999.99, 90000],
  ];
  for (const [p50, p99, p50Ms, p99Ms] of cases) {
    const report = parseWrkOutput(withLatencies(p50, p99));
    assert.equal(report.p50Ms, p50Ms, p50);
    assert.equal(report.p99Ms, p99Ms, p99);
  }
});

test('a wrk report without the latency distribution, or not a report at all, is refused', () => {
  const withoutDistribution = ALL_OK.split('\n')
    .filter((line) => !/^ +\d+%/.test(line))
    .join('\n');
  assert.throws(() => parseWrkOutput(withoutDistribution), /50% latency line/);
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /not a wrk report/);
});
