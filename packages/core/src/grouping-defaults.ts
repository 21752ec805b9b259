/** The shipped grouping (policy `grouping`, minutes): what a policy without the key gets. */
export const GROUPING_DEFAULTS = { by: ['account', 'region'], window: 10, maxAge: 240, groupWait: 0.5, groupInterval: 5, maxMembers: 100, rules: [] };
