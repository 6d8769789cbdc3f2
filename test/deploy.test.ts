import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/server/plugins.js';

const read = (file: string): string =>
  readFileSync(fileURLToPath(new URL(`../../deploy/${file}`, import.meta.url)), 'utf8');
const unquote = (v: string): string => v.trim().replace(/^"(.*)"$/, '$1');

/** The `env_variables:` block of an App Engine app.yaml (flat `KEY: value` lines). */
function appYamlEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^env_variables:\s*$/.test(line)) {
      inside = true;
      continue;
    }
    if (inside && /^\S/.test(line)) inside = false;
    const m = inside ? /^\s+([A-Z0-9_]+):\s*(.*?)\s*(#.*)?$/.exec(line) : null;
    if (m) env[m[1]] = unquote(m[2]);
  }
  return env;
}

/** The container env of a Cloud Run service.yaml: `- name:` with `value:`, or a secret (a placeholder here). */
function serviceYamlEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const n = /^\s+- name: (WT1_[A-Z0-9_]+)\s*$/.exec(line);
    if (n) {
      name = n[1];
      continue;
    }
    const v = /^\s+value: (.*)$/.exec(line);
    if (name && v) {
      env[name] = unquote(v[1]);
      name = undefined;
      continue;
    }
    if (name && /secretKeyRef:/.test(line)) {
      env[name] = 'from-secret-manager';
      name = undefined;
    }
  }
  return env;
}

test('the App Engine example configures the gcs engine from environment variables only, and wt1 accepts it', () => {
  const text = read('appengine/app.yaml');
  assert.match(text, /^runtime: nodejs\d+$/m);
  assert.match(text, /^entrypoint: node bin\/wt1 serve$/m);
  const env = appYamlEnv(text);
  const config = loadConfig({ env: { ...env, PORT: '8081' } });
  assert.equal(config.storage.engine, 'gcs');
  assert.equal(config.storage.params.bucketName, 'my-wt1-bucket');
  assert.equal(config.storage.params.tmpFolder, '/tmp/wt1-spool');
  assert.equal(config.storage.params.newFileTriggerInterval, 60);
  assert.ok(config.storage.params.accessKey && config.storage.params.secretKey, 'HMAC keys set');
  assert.ok(config.adminToken, 'nobody is loopback on a PaaS');
  assert.equal(config.shutdownTimeout, 3);
  assert.equal(config.port, 8081, 'PORT from the platform');
});

test(
  'the Cloud Run example configures the gcs engine from ' + 'environment variables and secrets, and wt1 accepts it',
  () => {
    const text = read('cloudrun/service.yaml');
    const env = serviceYamlEnv(text);
    assert.equal(env.WT1_STORAGE__PARAMS__SECRET_KEY, 'from-secret-manager');
    assert.equal(env.WT1_ADMIN_TOKEN, 'from-secret-manager');
    const config = loadConfig({ env: { ...env, PORT: '8080' } });
    assert.equal(config.storage.engine, 'gcs');
    assert.equal(config.shutdownTimeout, 8, 'below the 10 s Cloud Run allows after SIGTERM');
    assert.match(text, /run\.googleapis\.com\/cpu-throttling: "false"/);
    assert.match(text, /path: \/ready/);
    assert.match(text, /path: \/isAlive/);
    assert.match(read('cloudrun/Dockerfile'), /^CMD \["node", "bin\/wt1", "serve"\]$/m);
  },
);
