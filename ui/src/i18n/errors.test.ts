import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../ipc/backend';
import { errorText } from './errors';
import { setLocale } from './locale.svelte';

/** Every code the core can send; `satisfies` fails to compile when ErrorCode grows. */
const ALL_CODES = {
  emptyText: '请输入回复内容',
  textTooLong: '消息太长（最多 500 字），请分段发送',
  customerBlocked: '该顾客已被屏蔽，无法发送',
  windowClosed: '售后窗口已关闭（订单完成超过 48 小时），无法发送',
  imClosed: '该门店 IM 已关闭，无法发送',
  notFound: '找不到该会话或消息，可能已被删除',
  platform: '美团平台拒绝了请求，请稍后重试',
  conflict: '会话有新消息，回复未发送：请先查看后再确认发送',
  uncertain: '无法确认消息是否已送达，未重发：请与顾客确认后再发',
  notOwner: '该会话已由其他客服接待，只有接待人或主管可以回复',
  network: '网络中断，请检查网络后重试',
  auth: '门店授权已失效，请重新授权',
  invalid: '输入内容有误，请检查后重试',
  badImage: '图片须为 PNG 或 JPEG 格式，且不超过 2 MB',
  unsupported: '该门店的接入方式不支持此操作（无法上传图片）',
  diskFull: '磁盘已满：已保存的数据没有丢失，但在腾出空间前无法继续写入',
  internal: '程序内部错误，请重启后重试；如仍出现请联系技术支持',
  rightLocked: '该门店的平台权益不允许此操作（未解锁或本月额度已用完），未做任何更改',
  duplicate: '已存在相同的内容（如相同介绍的粉丝群、进行中的入群券），未重复创建',
  inPast: '所选时间已经过去，请选择将来的时间',
} satisfies Record<ErrorCode, string>;

describe('errorText', () => {
  it('maps every ErrorCode to its own Chinese sentence, never the developer message', () => {
    for (const [code, text] of Object.entries(ALL_CODES)) {
      expect(errorText({ code, message: 'connection reset by peer' }), code).toBe(text);
    }
  });

  it('has an English sentence for every code', () => {
    setLocale('en');
    const texts = Object.keys(ALL_CODES).map((code) => errorText({ code, message: '' }));
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts.every((text) => /^[\x20-\x7e’–]+$/.test(text))).toBe(true);
    expect(errorText({ code: 'auth', message: '' })).toBe('Store authorisation has expired; authorise the store again');
  });

  it('names an unknown code in the generic sentence', () => {
    expect(errorText({ code: 'store_frozen', message: 'x' })).toBe('操作失败（store_frozen），请稍后重试');
  });

  it("shows the platform's own words for a refusal the core has no case for", () => {
    const said = { code: 'platform', message: 'send failed: 1501: …', platformMsg: '该顾客已被商家屏蔽，无法发送' };
    expect(errorText(said)).toBe('美团平台拒绝：该顾客已被商家屏蔽，无法发送');
    expect(errorText({ code: 'store_frozen', message: '', platformMsg: '门店已冻结' })).toBe('美团平台拒绝：门店已冻结');
    // A case the UI has a sentence for keeps it; blank words fall back to the sentence.
    expect(errorText({ code: 'customerBlocked', message: '', platformMsg: 'blocked' })).toBe('该顾客已被屏蔽，无法发送');
    expect(errorText({ code: 'platform', message: '', platformMsg: '  ' })).toBe('美团平台拒绝了请求，请稍后重试');
    setLocale('en');
    expect(errorText(said)).toBe('Meituan refused: 该顾客已被商家屏蔽，无法发送');
  });

  it('treats anything that is not an IpcError as internal', () => {
    expect(errorText(new Error('boom'))).toBe(errorText({ code: 'internal', message: '' }));
  });

  it('does not let the code select the generic entry itself', () => {
    expect(errorText({ code: 'unknown', message: '' })).toBe('操作失败（unknown），请稍后重试');
  });
});
