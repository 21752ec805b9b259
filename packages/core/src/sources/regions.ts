/**
 * AWS region codes by the display names CloudWatch writes into alarm messages (`"Region": "EU (Ireland)"`), for
 * every partition (aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc). The names are the endpoint partitions' own
 * descriptions; CloudWatch's older names (`EU (...)`, `AWS GovCloud (US)`, and `US - N. Virginia` as alarms of
 * 2013–2016 wrote it) are kept beside them.
 */
const REGION_NAMES: Record<string, readonly string[]> = {
  'us-east-1': ['US East (N. Virginia)', 'US - N. Virginia'],
  'us-east-2': ['US East (Ohio)'],
  'us-west-1': ['US West (N. California)', 'US - N. California'],
  'us-west-2': ['US West (Oregon)', 'US - Oregon'],
  'af-south-1': ['Africa (Cape Town)'],
  'ap-east-1': ['Asia Pacific (Hong Kong)'],
  'ap-east-2': ['Asia Pacific (Taipei)'],
  'ap-northeast-1': ['Asia Pacific (Tokyo)'],
  'ap-northeast-2': ['Asia Pacific (Seoul)'],
  'ap-northeast-3': ['Asia Pacific (Osaka)', 'Asia Pacific (Osaka-Local)'],
  'ap-south-1': ['Asia Pacific (Mumbai)'],
  'ap-south-2': ['Asia Pacific (Hyderabad)'],
  'ap-southeast-1': ['Asia Pacific (Singapore)'],
  'ap-southeast-2': ['Asia Pacific (Sydney)'],
  'ap-southeast-3': ['Asia Pacific (Jakarta)'],
  'ap-southeast-4': ['Asia Pacific (Melbourne)'],
  'ap-southeast-5': ['Asia Pacific (Malaysia)'],
  'ap-southeast-6': ['Asia Pacific (New Zealand)'],
  'ap-southeast-7': ['Asia Pacific (Thailand)'],
  'ca-central-1': ['Canada (Central)'],
  'ca-west-1': ['Canada West (Calgary)'],
  'eu-central-1': ['Europe (Frankfurt)', 'EU (Frankfurt)'],
  'eu-central-2': ['Europe (Zurich)', 'EU (Zurich)'],
  'eu-north-1': ['Europe (Stockholm)', 'EU (Stockholm)'],
  'eu-south-1': ['Europe (Milan)', 'EU (Milan)'],
  'eu-south-2': ['Europe (Spain)', 'EU (Spain)'],
  'eu-west-1': ['Europe (Ireland)', 'EU (Ireland)'],
  'eu-west-2': ['Europe (London)', 'EU (London)'],
  'eu-west-3': ['Europe (Paris)', 'EU (Paris)'],
  'il-central-1': ['Israel (Tel Aviv)'],
  'me-central-1': ['Middle East (UAE)'],
  'me-south-1': ['Middle East (Bahrain)'],
  'me-west-1': ['Middle East (Saudi Arabia)'],
  'mx-central-1': ['Mexico (Central)'],
  'sa-east-1': ['South America (Sao Paulo)', 'South America (São Paulo)'],
  'sa-west-1': ['South America (Chile)'],
  'cn-north-1': ['China (Beijing)'],
  'cn-northwest-1': ['China (Ningxia)'],
  'us-gov-east-1': ['AWS GovCloud (US-East)'],
  'us-gov-west-1': ['AWS GovCloud (US-West)', 'AWS GovCloud (US)'],
  'eusc-de-east-1': ['AWS European Sovereign Cloud (Germany)'],
  'us-iso-east-1': ['US ISO East'],
  'us-iso-west-1': ['US ISO West'],
  'us-isob-east-1': ['US ISOB East (Ohio)'],
  'us-isob-west-1': ['US ISOB West'],
  'eu-isoe-west-1': ['EU ISOE West'],
  'us-isof-east-1': ['US ISOF East'],
  'us-isof-south-1': ['US ISOF South'],
};

/** `EU (Ireland)`, `EU - Ireland`, `eu ireland` → one key: letters and digits only, lower case, accents dropped. */
function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const BY_NAME = new Map<string, string>(Object.entries(REGION_NAMES).flatMap(([code, names]) => names.map((n) => [nameKey(n), code] as const)));

/** The region code of a CloudWatch display name (`China (Beijing)` → `cn-north-1`), null when none is known. */
export function regionFromName(name: string | null | undefined): string | null {
  if (!name) return null;
  return BY_NAME.get(nameKey(name)) ?? null;
}

/** Every region code in the table (for tests and documentation). */
export function knownRegionCodes(): string[] {
  return Object.keys(REGION_NAMES);
}
