import { describe, expect, it } from 'vitest';
import { refusal } from './credentialsError';

const invalid = (message: string) => ({ code: 'invalid', message, platformMsg: null });

describe('credentials refusals', () => {
  it('names the store whose token or code was refused, with the platform’s words', () => {
    expect(refusal(invalid('credentials: store mt-1: the token does not work: token invalid (OP_AUTH_TOKEN_INVALID)'))).toEqual({
      text: '门店 mt-1 的 token 无法使用，未保存：',
      detail: 'token invalid (OP_AUTH_TOKEN_INVALID)',
    });
    expect(refusal(invalid('credentials: store mt-2: the authorisation code was refused: unknown or used authorization code (1005)'))?.text).toBe(
      '门店 mt-2 的授权码被拒绝（错误或已使用），未保存：',
    );
  });

  it('tells the developer’s credentials from a store’s, and leaves other errors alone', () => {
    expect(refusal(invalid('credentials: the developerId or signKey was refused: 签名验证失败 (OP_SIGN_INVALID)'))).toEqual({
      text: '开发者 ID 或签名密钥（signKey）被平台拒绝，未保存：',
      detail: '签名验证失败 (OP_SIGN_INVALID)',
    });
    expect(refusal(invalid('credentials: signKey is empty'))?.text).toBe('填写有误，未保存：');
    expect(refusal({ code: 'internal', message: 'x', platformMsg: null })).toBeNull();
  });
});
