import ICAL from 'ical.js';

/** Recurring holidays (RRULE) are expanded up to this year; far beyond any deployment's life. */
const LAST_YEAR = 2100;
/** A holiday file that expands to more dates than this is refused rather than held in memory. */
const MAX_DATES = 20_000;
/** A single event longer than this (a season, not a holiday) is refused. */
const MAX_EVENT_DAYS = 62;

function dateOf(t: ICAL.Time): string {
  return `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
}

/** The days one occurrence covers: all-day events end exclusively (DTEND = the day after), timed ones cover their start day. */
function daysOf(start: ICAL.Time, end: ICAL.Time | null): string[] {
  const days = [dateOf(start)];
  if (!start.isDate || !end) return days;
  const day = start.clone();
  for (let i = 1; i < MAX_EVENT_DAYS; i++) {
    day.adjust(1, 0, 0, 0);
    if (day.compare(end) >= 0) return days;
    days.push(dateOf(day));
  }
  throw new Error(`an event starting ${dateOf(start)} lasts more than ${MAX_EVENT_DAYS} days`);
}

/**
 * The holiday dates (`YYYY-MM-DD`, as the calendar writes them) of an iCalendar text: every VEVENT, recurring
 * ones expanded to LAST_YEAR. Throws with a one-line reason on text that is not iCalendar.
 */
export function holidayDatesFromIcs(text: string): string[] {
  const root = new ICAL.Component(ICAL.parse(text));
  const out = new Set<string>();
  const add = (days: string[]) => {
    for (const d of days) out.add(d);
    if (out.size > MAX_DATES) throw new Error(`more than ${MAX_DATES} holiday dates`);
  };
  for (const vevent of root.getAllSubcomponents('vevent')) {
    const event = new ICAL.Event(vevent);
    if (!event.startDate) continue;
    if (!event.isRecurring()) {
      add(daysOf(event.startDate, event.endDate ?? null));
      continue;
    }
    const it = event.iterator();
    for (let next = it.next(); next && next.year <= LAST_YEAR; next = it.next()) {
      const o = event.getOccurrenceDetails(next);
      add(daysOf(o.startDate, o.endDate));
    }
  }
  return [...out].sort();
}
