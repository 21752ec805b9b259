/**
 * Email MIME is composed once per notice: every attempt of the retry rule sends the same bytes (same
 * Message-ID, same Date), and a new notice gets a message of its own. Against smtp-server on loopback.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { EmailNotifier } from '../packages/aws/src/notifiers/email';
import { deliverWithRetry } from '../packages/aws/src/notifiers/retry';
import { makeNotice } from './helpers/incident-factory';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** Keeps every DATA body it reads; answers 451 to the DATA of the messages whose index is in `refuse`. */
async function smtpPeer(refuse: Set<number>) {
  const bodies: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const i = bodies.push(Buffer.concat(chunks).toString('utf8')) - 1;
        if (refuse.has(i)) callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        else callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, bodies };
}

describe('EmailNotifier MIME', () => {
  it('a retried notice sends the very same message; the next notice is a new one', async () => {
    const peer = await smtpPeer(new Set([0, 1]));
    const email = new EmailNotifier({ transport: peer.url, from: 'Alert Router <alerts@example.com>', to: ['oncall@example.com'] });
    closers.push(async () => email.close());
    const sleep = async () => undefined;

    const first = await deliverWithRetry(email, makeNotice(), { sleep });
    expect(first).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(peer.bodies).toHaveLength(3);
    expect(peer.bodies[1]).toBe(peer.bodies[0]);
    expect(peer.bodies[2]).toBe(peer.bodies[0]);
    const mail = await simpleParser(peer.bodies[0]);
    expect(first.ref).toBe(mail.messageId);
    expect(mail.subject).toContain('INC-7F3A9K2M');
    expect(peer.bodies[0]).toMatch(/^X-Priority: 1 \(Highest\)\r?$/m); // P0: nodemailer's priority headers survive composing
    expect(mail.text).toBeTruthy();
    expect(mail.html).toBeTruthy();

    const second = await deliverWithRetry(email, makeNotice(), { sleep });
    expect(second).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(peer.bodies).toHaveLength(4);
    expect(second.ref).not.toBe(first.ref);
  });

  it('makes its transporter on the first send, once, and tries again after a failed set-up', async () => {
    const peer = await smtpPeer(new Set());
    const { createSmtpTransport } = await import('../packages/aws/src/notifiers/mailer');
    let made = 0;
    const email = new EmailNotifier({
      transport: async () => {
        made++;
        if (made === 1) throw Object.assign(new Error('no route to SES'), { code: 'ECONNECTION' });
        return createSmtpTransport(peer.url);
      },
      from: 'alerts@example.com',
      to: ['oncall@example.com'],
    });
    closers.push(async () => email.close());
    expect(made).toBe(0);
    const r = await deliverWithRetry(email, makeNotice(), { sleep: async () => undefined });
    expect(r).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(await deliverWithRetry(email, makeNotice())).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(made).toBe(2);
    expect(peer.bodies).toHaveLength(2);
  });
});
