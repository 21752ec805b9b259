/** Slack's Block Kit limits as a checker: every violation of a message, for renderer and notifier tests. */
import { SLACK_LIMITS, type SlackMessage } from '@alert-router/core';

export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every Slack limit we rely on; returns the list of violations (empty when valid). */
export function slackViolations(m: SlackMessage): string[] {
  const v: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) v.push(what);
  };
  const text = (t: { text: string } | undefined, max: number, where: string) => {
    if (!t) return;
    check(t.text.length > 0, `${where}: empty text`);
    check(t.text.length <= max, `${where}: ${t.text.length} > ${max}`);
    check(!LONE_SURROGATE.test(t.text), `${where}: lone surrogate`);
  };
  check(m.text.length > 0 && m.text.length <= SLACK_LIMITS.fallbackText, `text length ${m.text.length}`);
  const blocks = [...m.blocks, ...m.attachments.flatMap((a) => a.blocks)];
  check(blocks.length <= SLACK_LIMITS.blocks, `${blocks.length} blocks`);
  blocks.forEach((b, n) => {
    const where = `block ${n} (${b.type})`;
    if (b.block_id) check(b.block_id.length <= SLACK_LIMITS.blockId, `${where}: block_id`);
    switch (b.type) {
      case 'header':
        check(b.text.type === 'plain_text', `${where}: header must be plain_text`);
        text(b.text, SLACK_LIMITS.headerText, where);
        break;
      case 'section':
        check(!!b.text || !!b.fields?.length, `${where}: section without text or fields`);
        text(b.text, SLACK_LIMITS.sectionText, where);
        check((b.fields?.length ?? 0) <= SLACK_LIMITS.fields, `${where}: too many fields`);
        b.fields?.forEach((f, k) => text(f, SLACK_LIMITS.fieldText, `${where} field ${k}`));
        break;
      case 'context':
        check(b.elements.length <= SLACK_LIMITS.contextElements, `${where}: elements`);
        b.elements.forEach((e, k) => text(e, SLACK_LIMITS.sectionText, `${where} element ${k}`));
        break;
      case 'actions':
        check(b.elements.length <= 25, `${where}: elements`);
        for (const e of b.elements) {
          text(e.text, SLACK_LIMITS.buttonText, `${where} button`);
          check((e.value ?? '').length <= SLACK_LIMITS.buttonValue, `${where}: button value`);
          check(e.action_id.length <= SLACK_LIMITS.actionId, `${where}: action_id`);
          if (e.confirm) {
            text(e.confirm.title, SLACK_LIMITS.confirmTitle, `${where} confirm title`);
            text(e.confirm.text, SLACK_LIMITS.confirmText, `${where} confirm text`);
          }
        }
        break;
    }
  });
  return v;
}
