// Issue 14, finding 14: /metrics behind METRICS_TOKEN, and a warning when it is open beyond loopback.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpServer } from '../../src/gateway/http.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

async function httpServer(metricsToken?: string) {
  const records: Array<{ level: number; msg: string }> = [];
  const logger = createLogger('info', { write: (line: string) => void records.push(JSON.parse(line)) });
  const app = await createHttpServer({ logger, readiness: [], isShuttingDown: () => false, metrics: new Metrics(), metricsToken });
  return { app, warnings: () => records.filter((record) => record.level === 40).map((record) => record.msg) };
}

describe('METRICS_TOKEN', () => {
  test('when set, /metrics answers only the right bearer token', async () => {
    const { app } = await httpServer(TOKEN);
    try {
      const scrape = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
        const response = await scrape(authorization);
        assert.equal(response.statusCode, 401, String(authorization));
        assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"');
        assert.doesNotMatch(response.body, /frontdesk_/);
      }
      const allowed = await scrape(`Bearer ${TOKEN}`);
      assert.equal(allowed.statusCode, 200);
      assert.match(allowed.body, /frontdesk_/);
      assert.equal((await scrape(`bearer  ${TOKEN}`)).statusCode, 200, 'the scheme is case-insensitive');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health checks stay open');
    } finally {
      await app.close();
    }
  });

  test('is validated: at least 16 printable characters without spaces', () => {
    assert.equal(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken, TOKEN);
    assert.equal(loadConfig({}).metricsToken, undefined);
    for (const METRICS_TOKEN of ['short', 'with a space in the middle', 'ünïcödé-ünïcödé-ünïcödé']) {
      assert.throws(() => loadConfig({ METRICS_TOKEN }), (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith('METRICS_TOKEN')));
    }
  });

  test('without it, listening beyond loopback logs a warning; on loopback or with a token it does not', async () => {
    const cases: Array<[string, string | undefined, boolean]> = [
      ['0.0.0.0', undefined, true],
      ['127.0.0.1', undefined, false],
      ['0.0.0.0', TOKEN, false],
    ];
    for (const [host, token, warns] of cases) {
      const { app, warnings } = await httpServer(token);
      try {
        await app.listen({ host, port: 0 });
        assert.equal(warnings().some((message) => /METRICS_TOKEN/.test(message)), warns, `${host}, token ${token ? 'set' : 'unset'}`);
      } finally {
        await app.close();
      }
    }
  });
});
