/** LINE signature vectors from research/protocols.md §1.1 (bodies byte for byte). */
export interface Vector {
  readonly source: string
  readonly secret: string
  readonly body: string
  readonly signature: string
  /** A signature that must NOT verify for this body. */
  readonly negative?: string
}

export const middlewareBody =
  '{"events":[{"message":{"id":"test_event_message_id","text":"this is test message.","type":"text"},"replyToken":"test_reply_token","source":{"groupId":"test_group_id","type":"group"},"timestamp":0,"type":"message"}]}'

export const chineseBody =
  '{"destination":"U0123456789abcdef0123456789abcdef","events":[{"type":"message","message":{"type":"text","id":"468789577898262530","quoteToken":"q3Plxr4AgKd...","text":"+1 芒果 2箱"},"webhookEventId":"01H810YECXQQZ37VAXPF6H9E6T","deliveryContext":{"isRedelivery":false},"timestamp":1692251666727,"source":{"type":"group","groupId":"Ca56f94637cc4347f90a25382909b24b9","userId":"U206d25c2ea6bd87c17655609a1c37cb8"},"replyToken":"38ef843bde154d9b91c21320ffd17a0f","mode":"active"}]}'

/** The same JSON with 芒果 escaped as \u8292\u679c, as a re-serialiser might write it. */
export const chineseBodyEscaped = chineseBody.replace("芒果", "\\u8292\\u679c")

export const verifyPingBody = '{"destination":"U0123456789abcdef0123456789abcdef","events":[]}'

export const vectors: ReadonlyArray<Vector> = [
  {
    source: "line-bot-sdk-nodejs validate-signature.spec.ts",
    secret: "test_secret",
    body: '{"hello":"world"}',
    signature: "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=",
    negative: "t7Hn4ZDHqs6e+wdvi5TyQivzie0DmMUmuXEBqyyE/tM="
  },
  {
    source: "line-bot-sdk-python test_signature.py",
    secret: "channel_secret",
    body: "bodybodybodybody",
    signature: "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
  },
  {
    source: "line-bot-sdk-nodejs middleware.spec.ts (group message)",
    secret: "test_channel_secret",
    body: middlewareBody,
    signature: "qeDy61PbQK+aO97Bs8zjaFgYjQxFruGd13pfXPQoBRU=",
    negative: "qeDy61PbQK+aO97Bs8zjbFgYjQxFruGd13pfXPQoBRU="
  },
  {
    source: "line-bot-sdk-nodejs middleware.spec.ts (invalid JSON, valid signature)",
    secret: "test_channel_secret",
    body: "i am not jason",
    signature: "Z8YlPpm0lQOqPipiCHVbiuwIDIzRzD7w5hvHgmwEuEs="
  },
  {
    source: "computed: group text message with Chinese, raw UTF-8",
    secret: "8c832c018d09a8be1738b32a3be1ee0a",
    body: chineseBody,
    signature: "ne4tyXBkkYLLwvWZ0OxL4DHupXfbC5I4fIl2uqHOMPo=",
    negative: "rvF8A/4e5UWFxWCiqi6cbmp5EhyE7uHbYquKMZb5EB0="
  },
  {
    source: "computed: the same JSON re-serialised with \\u escapes",
    secret: "8c832c018d09a8be1738b32a3be1ee0a",
    body: chineseBodyEscaped,
    signature: "rvF8A/4e5UWFxWCiqi6cbmp5EhyE7uHbYquKMZb5EB0=",
    negative: "ne4tyXBkkYLLwvWZ0OxL4DHupXfbC5I4fIl2uqHOMPo="
  },
  {
    source: "computed: webhook Verify ping (empty events)",
    secret: "8c832c018d09a8be1738b32a3be1ee0a",
    body: verifyPingBody,
    signature: "tdThg+bUD+Kh05Fxjp88sq7feGFGgFhnmfGMmHCHDho="
  }
]
