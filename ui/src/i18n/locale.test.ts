// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { getLocale, interpolate, setLocale, t } from './locale.svelte';
import { en, zhCN } from './messages';

const paramsOf = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogue', () => {
  it('has the same keys and parameters in English as in zh-CN', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [key, zh] of Object.entries(zhCN)) {
      expect(paramsOf(en[key as keyof typeof en]), key).toEqual(paramsOf(zh));
    }
  });

  it('has no empty strings', () => {
    for (const table of [zhCN, en]) {
      for (const [key, text] of Object.entries(table)) expect(text.trim(), key).not.toBe('');
    }
  });
});

describe('t', () => {
  it('speaks zh-CN by default and English after a switch', () => {
    expect(getLocale()).toBe('zh-CN');
    expect(t('inbox.empty')).toBe('暂无会话');
    setLocale('en');
    expect(t('inbox.empty')).toBe('No conversations');
  });

  it('fills parameters', () => {
    expect(t('status.connection.online', { live: 2, total: 3 })).toBe('已连接 2/3');
  });

  it('remembers the chosen language and marks the document', () => {
    setLocale('en');
    expect(localStorage.getItem('imdesk.locale')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
  });
});

describe('interpolate', () => {
  it('leaves a marker without a value visible', () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it('does not read inherited properties as parameters', () => {
    expect(interpolate('{toString}', {})).toBe('{toString}');
  });
});
