let triggers = 0;

/** The form body Slack posts for `/incident <text>` (as roadrunner in #incident). */
export function slashCommandBody(text: string, responseUrl = 'https://hooks.slack.com/commands/T1DC2JH3J/1/x'): string {
  return new URLSearchParams({
    team_id: 'T1DC2JH3J',
    channel_id: 'C0INCIDENT',
    user_id: 'U2CERLKJA',
    user_name: 'roadrunner',
    command: '/incident',
    text,
    response_url: responseUrl,
    trigger_id: `trigger.${++triggers}`, // unique, so each body has its own signature
  }).toString();
}
