import { handler as alarm } from '../../../functions/alarm';
import { handler as dashboard } from '../../../functions/dashboard';
import { handler as slack } from '../../../functions/slack';
import { handler as escalate } from '../../../functions/escalate';
import { handler as digest } from '../../../functions/digest';
import { handler as hygiene } from '../../../functions/hygiene';

/**
 * The Lambda handlers the local server calls: the very exports the stacks deploy
 * (`functions/<name>.handler`), so local mode has no second code path.
 */
export const LOCAL_HANDLERS = { alarm, dashboard, escalate, slack, digest, hygiene } as const;

export type LocalHandlers = typeof LOCAL_HANDLERS;
