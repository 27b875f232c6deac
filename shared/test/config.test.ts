import { describe, expect, it } from 'vitest';
import { bool, ConfigError, checkOrder, defineConfig, int, list, oneOf, optionalStr, str, url } from '../config.js';

describe('defineConfig', () => {
  const read = defineConfig({
    NAME: str(),
    PORT: int({ default: 8080, min: 1, max: 65535 }),
    DEBUG: bool({ default: false }),
    ENDPOINT: url({ protocols: ['https:'] }),
    MODE: oneOf(['a', 'b'] as const, { default: 'a' }),
    TAGS: list(),
    TOKEN: optionalStr({ minLength: 4 }),
  });

  it('parses and applies defaults', () => {
    const cfg = read({ NAME: 'x', ENDPOINT: 'https://e.example', TAGS: 'a, b,,c' });
    expect(cfg).toEqual({
      NAME: 'x',
      PORT: 8080,
      DEBUG: false,
      ENDPOINT: 'https://e.example',
      MODE: 'a',
      TAGS: ['a', 'b', 'c'],
      TOKEN: undefined,
    });
  });

  it('caches per env object', () => {
    const env = { NAME: 'x', ENDPOINT: 'https://e.example' };
    expect(read(env)).toBe(read(env));
  });

  it('names the missing variable', () => {
    expect(() => read({ ENDPOINT: 'https://e.example' })).toThrowError(/NAME is missing/);
  });

  it('names every malformed variable', () => {
    try {
      read({ NAME: 'x', ENDPOINT: 'http://plain.example', PORT: '80a', DEBUG: 'maybe', MODE: 'c' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('ERR_CONFIG');
      expect(e.variable).toBe('PORT');
      expect(e.message).toContain('PORT must be an integer');
      expect(e.message).toContain('DEBUG');
      expect(e.message).toContain('ENDPOINT');
      expect(e.message).toContain('MODE');
    }
  });

  it('enforces bounds and lengths', () => {
    expect(() => read({ NAME: 'x', ENDPOINT: 'https://e.example', PORT: '70000' })).toThrowError(
      /PORT must be <= 65535/,
    );
    expect(() => read({ NAME: 'x', ENDPOINT: 'https://e.example', TOKEN: 'abc' })).toThrowError(
      /TOKEN must be at least 4/,
    );
    expect(read({ NAME: 'x', ENDPOINT: 'https://e.example', DEBUG: 'TRUE' }).DEBUG).toBe(true);
  });
});

describe('checks across variables', () => {
  const read = defineConfig(
    {
      IDLE: int({ default: 10 }),
      ABSOLUTE: int({ default: 100 }),
      LEAD: int({ default: 1 }),
      PERIOD: int({ default: 5 }),
    },
    (config) =>
      checkOrder(config, [
        ['IDLE', '<=', 'ABSOLUTE'],
        ['LEAD', '<', 'PERIOD'],
      ]),
  );
  const variableOf = (env: object) => {
    try {
      read(env);
      return null;
    } catch (err) {
      return [(err as ConfigError).variable, (err as Error).message];
    }
  };

  it('names the first variable of the first ordering broken, with the reason', () => {
    expect(variableOf({})).toBeNull();
    expect(variableOf({ IDLE: '100' })).toBeNull();
    expect(variableOf({ IDLE: '101' })).toEqual(['IDLE', 'configuration variable IDLE must not exceed ABSOLUTE']);
    expect(variableOf({ LEAD: '5' })).toEqual(['LEAD', 'configuration variable LEAD must be shorter than PERIOD']);
    expect(variableOf({ IDLE: '101', LEAD: '5' })?.[0]).toBe('IDLE');
    const notShorter = defineConfig({ A: int(), B: int() }, (c) => checkOrder(c, [['A', '>=', 'B']]));
    expect(() => notShorter({ A: '1', B: '2' })).toThrowError('configuration variable A must not be shorter than B');
    expect(notShorter({ A: '2', B: '2' }).A).toBe(2);
  });

  it('keeps a configuration only once it passes: a bad env fails on every read', () => {
    const bad = { IDLE: '101' };
    expect(() => read(bad)).toThrowError(ConfigError);
    expect(() => read(bad)).toThrowError(ConfigError);
    const good = { IDLE: '5' };
    expect(read(good)).toBe(read(good));
  });
});
