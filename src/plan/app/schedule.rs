//! `platform_service` `schedule` blocks: EventBridge Scheduler runs of the service's task
//! definition. Their expressions, time zones and names are checked here before any AWS call,
//! and [`runs_per_month`] turns an expression into the runs the cost estimate prices.

use std::collections::BTreeSet;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

use super::timezones::IANA_ZONES;

/// The time zone of a schedule that names none.
pub const DEFAULT_TIMEZONE: &str = "UTC";
/// EventBridge Scheduler's limit on a schedule's name (`<service>-<schedule>`).
pub const MAX_SCHEDULE_NAME: usize = 64;
/// Days in AWS's 730-hour month.
const DAYS_PER_MONTH: f64 = 730.0 / 24.0;

/// One `schedule` block, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    /// Unique within the service.
    pub name: String,
    /// `cron(…)` or `rate(…)`.
    pub expression: String,
    /// An IANA time zone name.
    pub timezone: String,
    /// The main container's command for these runs; empty: no override.
    pub command: Vec<String>,
}

/// The schedule's name in AWS: `<service>-<schedule>`.
pub fn schedule_name(service: &str, schedule: &str) -> String {
    format!("{service}-{schedule}")
}

/// True for an IANA time zone name (a zone or a link of the tz database).
pub fn is_timezone(name: &str) -> bool {
    IANA_ZONES.binary_search(&name).is_ok()
}

/// The unit of a `rate()` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minutes,
    Hours,
    Days,
}

/// A parsed schedule expression, as much as the cost estimate needs of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// Every `every` units.
    Rate {
        every: u32,
        unit: RateUnit,
    },
    Cron(Cron),
}

/// A parsed `cron()` expression: how many values each field matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: usize,
    hours: usize,
    /// Days a month the day-of-month or day-of-week fields match, on average.
    days: f64,
    months: usize,
}

impl Expression {
    /// Parses `rate(N unit)` or `cron(min hour day-of-month month day-of-week year)` as
    /// EventBridge Scheduler accepts them; the error says what is wrong.
    ///
    /// # Errors
    /// A message naming the part of the expression that is not valid.
    pub fn parse(text: &str) -> Result<Expression, String> {
        if let Some(body) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
            return parse_rate(body);
        }
        if let Some(body) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
            return parse_cron(body).map(Expression::Cron);
        }
        Err("must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit), e.g. \"cron(0 3 * * ? *)\" or \"rate(15 minutes)\"".to_string())
    }

    /// Runs in AWS's 730-hour month: exact for a rate, an average for a cron expression (in a
    /// year it runs in).
    pub fn runs_per_month(&self) -> f64 {
        match self {
            Expression::Rate { every, unit } => {
                let per_unit = match unit {
                    RateUnit::Minutes => 730.0 * 60.0,
                    RateUnit::Hours => 730.0,
                    RateUnit::Days => DAYS_PER_MONTH,
                };
                per_unit / f64::from(*every)
            }
            Expression::Cron(cron) => {
                cron.minutes as f64 * cron.hours as f64 * cron.days * cron.months as f64 / 12.0
            }
        }
    }
}

/// Runs a month of `expression`; `None` when it is not valid.
pub fn runs_per_month(expression: &str) -> Option<f64> {
    Expression::parse(expression)
        .ok()
        .map(|e| e.runs_per_month())
}

fn parse_rate(body: &str) -> Result<Expression, String> {
    let parts: Vec<&str> = body.split(' ').collect();
    let [value, unit] = parts.as_slice() else {
        return Err(
            "rate() takes a value and a unit separated by one space, e.g. rate(5 minutes)"
                .to_string(),
        );
    };
    let every: u32 = match value.parse() {
        Ok(n) if n >= 1 && value.chars().all(|c| c.is_ascii_digit()) => n,
        _ => {
            return Err(format!(
                "the rate's value {value:?} must be a whole number of at least 1"
            ))
        }
    };
    let (unit, singular) = match *unit {
        "minute" => (RateUnit::Minutes, true),
        "minutes" => (RateUnit::Minutes, false),
        "hour" => (RateUnit::Hours, true),
        "hours" => (RateUnit::Hours, false),
        "day" => (RateUnit::Days, true),
        "days" => (RateUnit::Days, false),
        other => {
            return Err(format!(
                "the rate's unit {other:?} must be minute(s), hour(s) or day(s)"
            ))
        }
    };
    if singular != (every == 1) {
        return Err(format!(
            "rate({value} {}) needs the {} unit: \"{unit_name}\" goes with 1 only, its plural with any other value",
            parts[1],
            if every == 1 { "singular" } else { "plural" },
            unit_name = parts[1].trim_end_matches('s'),
        ));
    }
    Ok(Expression::Rate { every, unit })
}

/// What one cron field accepts.
struct FieldRule {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names of the values from `min` on (months, days of the week).
    names: &'static [&'static str],
    /// `?` allowed (day-of-month and day-of-week).
    question: bool,
    /// A range may wrap around (`NOV-FEB`, `FRI-MON`).
    wraps: bool,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const MINUTES: FieldRule = FieldRule {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
    question: false,
    wraps: false,
};
const HOURS: FieldRule = FieldRule {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
    question: false,
    wraps: false,
};
const DAY_OF_MONTH: FieldRule = FieldRule {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    question: true,
    wraps: false,
};
const MONTH: FieldRule = FieldRule {
    name: "month",
    min: 1,
    max: 12,
    names: MONTHS,
    question: false,
    wraps: true,
};
const DAY_OF_WEEK: FieldRule = FieldRule {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: WEEKDAYS,
    question: true,
    wraps: true,
};
const YEAR: FieldRule = FieldRule {
    name: "year",
    min: 1970,
    max: 2199,
    names: &[],
    question: false,
    wraps: false,
};

/// A parsed field: `?`, or the plain values it matches and its special items (`L`, `W`, `#`),
/// each of which matches one day a month.
enum Field {
    Question,
    Values {
        values: BTreeSet<u32>,
        special: usize,
    },
}

impl FieldRule {
    fn value(&self, text: &str) -> Result<u32, String> {
        let upper = text.to_ascii_uppercase();
        // Day-of-week's `L` is its last day, Saturday.
        if upper == "L" && self.name == DAY_OF_WEEK.name {
            return Ok(self.max);
        }
        if let Some(i) = self.names.iter().position(|n| *n == upper) {
            return Ok(self.min + i as u32);
        }
        match text.parse::<u32>() {
            Ok(n)
                if text.chars().all(|c| c.is_ascii_digit())
                    && (self.min..=self.max).contains(&n) =>
            {
                Ok(n)
            }
            _ => Err(format!(
                "{} field: {text:?} is not {}–{}{}",
                self.name,
                self.min,
                self.max,
                match (self.names.first(), self.names.last()) {
                    (Some(first), Some(last)) => format!(" or {first}–{last}"),
                    _ => String::new(),
                }
            )),
        }
    }

    /// `start`, `start-end` (wrapping where allowed) or `*`, stepped by `step`.
    fn range(&self, base: &str, step: Option<u32>) -> Result<BTreeSet<u32>, String> {
        let (start, end) = if base == "*" {
            (self.min, self.max)
        } else if let Some((a, b)) = base.split_once('-') {
            let (a, b) = (self.value(a)?, self.value(b)?);
            if a > b && !self.wraps {
                return Err(format!(
                    "{} field: the range {base:?} runs backwards",
                    self.name
                ));
            }
            (a, b)
        } else {
            let start = self.value(base)?;
            // `a/step` runs from a to the field's end.
            (start, if step.is_some() { self.max } else { start })
        };
        let span = self.max - self.min + 1;
        let length = if end >= start {
            end - start + 1
        } else {
            span - (start - end) + 1
        };
        let step = step.unwrap_or(1);
        Ok((0..length)
            .step_by(step as usize)
            .map(|offset| self.min + (start - self.min + offset) % span)
            .collect())
    }

    fn parse(&self, text: &str) -> Result<Field, String> {
        if text == "?" {
            return if self.question {
                Ok(Field::Question)
            } else {
                Err(format!(
                    "{} field: '?' is only for day-of-month or day-of-week",
                    self.name
                ))
            };
        }
        let mut values = BTreeSet::new();
        let mut special = 0;
        for item in text.split(',') {
            if item.is_empty() {
                return Err(format!("{} field {text:?} has an empty item", self.name));
            }
            if let Some(n) = self.special(item)? {
                special += n;
                continue;
            }
            let (base, step) = match item.split_once('/') {
                Some((base, step)) => match step.parse::<u32>() {
                    Ok(s)
                        if s >= 1
                            && s <= self.max - self.min + 1
                            && step.chars().all(|c| c.is_ascii_digit()) =>
                    {
                        (base, Some(s))
                    }
                    _ => {
                        return Err(format!(
                            "{} field: the step {step:?} in {item:?} must be 1–{}",
                            self.name,
                            self.max - self.min + 1
                        ))
                    }
                },
                None => (item, None),
            };
            values.extend(self.range(base, step)?);
        }
        Ok(Field::Values { values, special })
    }

    /// `L`, `W` and `#` items of the day fields, each matching one day a month (`L`, `LW` and
    /// `15W` of day-of-month; `6L`, `FRIL` and `2#3` of day-of-week): `Some(1)`; `None` for
    /// an ordinary item (day-of-week's plain `L` is Saturday, a value).
    fn special(&self, item: &str) -> Result<Option<usize>, String> {
        let is_dom = self.name == DAY_OF_MONTH.name;
        let is_dow = self.name == DAY_OF_WEEK.name;
        if !is_dom && !is_dow {
            return Ok(None);
        }
        let upper = item.to_ascii_uppercase();
        if let Some((day, nth)) = upper.split_once('#') {
            if !is_dow {
                return Err(format!(
                    "{} field: '#' in {item:?} is only for day-of-week",
                    self.name
                ));
            }
            self.value(day)?;
            return match nth {
                "1" | "2" | "3" | "4" | "5" => Ok(Some(1)),
                _ => Err(format!(
                    "day-of-week field: {item:?} needs the week of the month, 1–5, after '#'"
                )),
            };
        }
        if is_dom {
            if upper == "L" || upper == "LW" {
                return Ok(Some(1));
            }
            if let Some(day) = upper.strip_suffix('W') {
                self.value(day)?;
                return Ok(Some(1));
            }
            return Ok(None);
        }
        match upper.strip_suffix('L') {
            Some(day) if !day.is_empty() => {
                self.value(day)?;
                Ok(Some(1))
            }
            _ => Ok(None),
        }
    }
}

fn parse_cron(body: &str) -> Result<Cron, String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, day_of_month, month, day_of_week, year] = fields.as_slice() else {
        return Err(format!(
            "cron() takes 6 fields (minutes hours day-of-month month day-of-week year), not {}",
            fields.len()
        ));
    };
    let count = |field: Field| match field {
        Field::Question => 0,
        Field::Values { values, special } => values.len() + special,
    };
    let minutes = count(MINUTES.parse(minutes)?);
    let hours = count(HOURS.parse(hours)?);
    let months = count(MONTH.parse(month)?);
    YEAR.parse(year)?;
    let days = match (
        DAY_OF_MONTH.parse(day_of_month)?,
        DAY_OF_WEEK.parse(day_of_week)?,
    ) {
        (Field::Question, Field::Question) => {
            return Err("one of day-of-month and day-of-week must be '?', not both".to_string())
        }
        (Field::Values { .. }, Field::Values { .. }) => {
            return Err(
                "one of day-of-month and day-of-week must be '?' (they cannot both be given)"
                    .to_string(),
            )
        }
        (Field::Question, Field::Values { values, special }) => {
            values.len() as f64 * DAYS_PER_MONTH / 7.0 + special as f64
        }
        (Field::Values { values, special }, Field::Question) => {
            // Days 29–31 exist in fewer months than the rest.
            let weight = |day: u32| match day {
                29 => 11.25 / 12.0,
                30 => 11.0 / 12.0,
                31 => 7.0 / 12.0,
                _ => 1.0,
            };
            values.iter().map(|d| weight(*d)).sum::<f64>() + special as f64
        }
    };
    Ok(Cron {
        minutes,
        hours,
        days,
        months,
    })
}

/// A schedule's own name: `[0-9A-Za-z_.-]`, not empty.
fn is_schedule_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The `schedule` blocks of service `service`: names valid, unique and short enough with the
/// service's name, expressions EventBridge accepts, IANA time zones. Each diagnostic names
/// its block and attribute (`schedule[1].expression`).
pub fn validate_schedules(service: &str, schedules: &[ScheduleSpec]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen = BTreeSet::new();
    for (i, schedule) in schedules.iter().enumerate() {
        let at = |attribute: &str| {
            AttrPath::attrs(&["schedule"])
                .index(i as i64)
                .attr(attribute)
        };
        let name = &schedule.name;
        if !is_schedule_name(name) {
            diags.error_at(
                at("name"),
                "Invalid schedule name",
                format!("schedule name {name:?} must be one or more of A–Z, a–z, 0–9, '_', '.' and '-'."),
            );
        } else if !seen.insert(name.as_str()) {
            diags.error_at(
                at("name"),
                "Duplicate schedule name",
                format!("service {service:?} has two schedules named {name:?}; schedule names are unique within a service."),
            );
        } else if !service.is_empty() && schedule_name(service, name).len() > MAX_SCHEDULE_NAME {
            diags.error_at(
                at("name"),
                "Schedule name too long",
                format!(
                    "the schedule's name in AWS, {:?}, is {} characters; EventBridge Scheduler allows {MAX_SCHEDULE_NAME}. Shorten the schedule's name.",
                    schedule_name(service, name),
                    schedule_name(service, name).len()
                ),
            );
        }
        if let Err(problem) = Expression::parse(&schedule.expression) {
            diags.error_at(
                at("expression"),
                "Invalid schedule expression",
                format!("{:?}: {problem}.", schedule.expression),
            );
        }
        if !is_timezone(&schedule.timezone) {
            diags.error_at(
                at("timezone"),
                "Invalid time zone",
                format!("{:?} is not an IANA time zone name such as \"UTC\", \"Europe/Paris\" or \"America/New_York\".", schedule.timezone),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Expression, String> {
        Expression::parse(text)
    }

    #[test]
    fn the_zone_list_is_sorted_and_holds_the_usual_names() {
        assert!(IANA_ZONES.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        for zone in [
            "UTC",
            "Europe/Paris",
            "America/New_York",
            "Asia/Kolkata",
            "Etc/GMT+5",
        ] {
            assert!(is_timezone(zone), "{zone}");
        }
        for zone in [
            "",
            "utc",
            "Europe/Parris",
            "GMT+1",
            "Mars/Olympus_Mons",
            "CEST",
        ] {
            assert!(!is_timezone(zone), "{zone}");
        }
    }

    #[test]
    fn rates_take_a_positive_value_and_a_unit_that_agrees_with_it() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(12 hours)",
            "rate(1 day)",
            "rate(7 days)",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        for bad in [
            "rate(0 minutes)",
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(5 weeks)",
            "rate(-5 minutes)",
            "rate(+5 minutes)",
            "rate(5  minutes)",
            "rate(five minutes)",
            "rate(5)",
            "rate()",
            "rate(5 minutes",
            "every 5 minutes",
            "at(2030-01-01T00:00:00)",
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
        assert!(parse("rate(1 minutes)").unwrap_err().contains("singular"));
        assert!(parse("rate(5 minute)").unwrap_err().contains("plural"));
    }

    #[test]
    fn cron_follows_eventbridge_rules() {
        for ok in [
            "cron(0 3 * * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(*/10 8-18 ? * MON-FRI *)",
            "cron(0 12 ? * 2-6 *)",
            "cron(30 2 L * ? *)",
            "cron(0 9 LW * ? *)",
            "cron(0 9 15W * ? *)",
            "cron(0 9 ? * 6L *)",
            "cron(0 9 ? * FRIL *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 9 ? * MON#2 2030)",
            "cron(0 0 1,15 JAN,jul ? 2025-2030)",
            "cron(0 0 ? NOV-FEB SAT-SUN *)",
            "cron(0 0 ? * L *)",
            "cron(59 23 31 12 ? 2199)",
        ] {
            assert!(parse(ok).is_ok(), "{ok}: {:?}", parse(ok));
        }
        for (bad, why) in [
            ("cron(0 3 * * * *)", "both day fields given"),
            ("cron(0 3 ? * ? *)", "both day fields '?'"),
            ("cron(0 3 * * ?)", "five fields"),
            ("cron(0 3 * * ? * *)", "seven fields"),
            ("cron(60 3 * * ? *)", "minute 60"),
            ("cron(0 24 * * ? *)", "hour 24"),
            ("cron(0 3 0 * ? *)", "day 0"),
            ("cron(0 3 32 * ? *)", "day 32"),
            ("cron(0 3 * 13 ? *)", "month 13"),
            ("cron(0 3 ? * 8 *)", "weekday 8"),
            ("cron(0 3 ? * 0 *)", "weekday 0"),
            ("cron(0 3 * * ? 1969)", "year 1969"),
            ("cron(0 3 * * ? 2200)", "year 2200"),
            ("cron(? 3 * * ? *)", "? in minutes"),
            ("cron(0 3 * JANUARY ? *)", "month name"),
            ("cron(0 3 ? * MO *)", "weekday name"),
            ("cron(0/0 3 * * ? *)", "step 0"),
            ("cron(0/61 3 * * ? *)", "step beyond the field"),
            ("cron(30-10 3 * * ? *)", "backwards range"),
            ("cron(0 3 * * ? 2030-2025)", "backwards years"),
            ("cron(0 3 ? * 15W *)", "W in day-of-week"),
            ("cron(0 3 5L * ? *)", "nL in day-of-month"),
            ("cron(0 3 ? * 2#6 *)", "sixth week"),
            ("cron(0 3 1#2 * ? *)", "# in day-of-month"),
            ("cron(0 L * * ? *)", "L in hours"),
            ("cron(0 3 32W * ? *)", "W after day 32"),
            ("cron(0 3 1,,2 * ? *)", "empty item"),
            ("cron(0 3 * * ? x)", "year text"),
            ("cron(0  3 * * ? *", "no closing parenthesis"),
            ("CRON(0 3 * * ? *)", "upper-case keyword"),
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted ({why})");
        }
        assert!(parse("cron(0 3 * * * *)").unwrap_err().contains("'?'"));
        assert!(parse("cron(61 3 * * ? *)")
            .unwrap_err()
            .contains("minutes field"));
    }

    fn runs(expression: &str) -> f64 {
        let runs = runs_per_month(expression).expect(expression);
        (runs * 100.0).round() / 100.0
    }

    #[test]
    fn runs_per_month_from_rates_and_cron_fields() {
        assert_eq!(runs("rate(1 minute)"), 43_800.0);
        assert_eq!(runs("rate(15 minutes)"), 2_920.0);
        assert_eq!(runs("rate(1 hour)"), 730.0);
        assert_eq!(runs("rate(6 hours)"), 121.67);
        assert_eq!(runs("rate(1 day)"), 30.42);
        assert_eq!(runs("rate(7 days)"), 4.35);
        // Daily at 03:00: every day of the month.
        assert_eq!(runs("cron(0 3 * * ? *)"), 30.44);
        // Every 15 minutes: 4 an hour, 24 hours, every day (30.4375 days on average).
        assert_eq!(runs("cron(0/15 * * * ? *)"), 2_922.0);
        // Weekdays at noon: 5 of 7 days.
        assert_eq!(runs("cron(0 12 ? * MON-FRI *)"), 21.73);
        // Twice an hour, 09–17, on Saturdays.
        assert_eq!(runs("cron(0,30 9-17 ? * SAT *)"), 78.21);
        // The first of January and July: 2 runs a year.
        assert_eq!(runs("cron(0 0 1 1,7 ? *)"), 0.17);
        // Once a month: the last day, a weekday nearest the 15th, the second Monday.
        assert_eq!(runs("cron(0 0 L * ? *)"), 1.0);
        assert_eq!(runs("cron(0 0 15W * ? *)"), 1.0);
        assert_eq!(runs("cron(0 0 ? * 2#2 *)"), 1.0);
        // The 31st exists in 7 months of 12.
        assert_eq!(runs("cron(0 0 31 * ? *)"), 0.58);
        assert_eq!(runs_per_month("cron(0 0 * * * *)"), None);
    }

    fn schedule(name: &str, expression: &str, timezone: &str) -> ScheduleSpec {
        ScheduleSpec {
            name: name.into(),
            expression: expression.into(),
            timezone: timezone.into(),
            command: Vec::new(),
        }
    }

    #[test]
    fn each_problem_names_its_block_and_attribute() {
        let schedules = [
            schedule("nightly", "cron(0 3 * * ? *)", "UTC"),
            schedule("nightly", "rate(1 minutes)", "Europe/Parris"),
            schedule("bad name", "rate(5 minutes)", "UTC"),
            schedule(&"x".repeat(60), "rate(5 minutes)", "UTC"),
        ];
        let diags = validate_schedules("worker", &schedules);
        let found: Vec<(String, String)> = diags
            .0
            .iter()
            .map(|d| {
                (
                    d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                    d.summary.clone(),
                )
            })
            .collect();
        let expected = [
            ("schedule[1].name", "Duplicate schedule name"),
            ("schedule[1].expression", "Invalid schedule expression"),
            ("schedule[1].timezone", "Invalid time zone"),
            ("schedule[2].name", "Invalid schedule name"),
            ("schedule[3].name", "Schedule name too long"),
        ];
        assert_eq!(
            found,
            expected
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect::<Vec<_>>()
        );
        assert!(validate_schedules("worker", &schedules[..1]).is_empty());
        // 64 characters with the service's name fit.
        let longest = schedule(&"x".repeat(64 - "worker-".len()), "rate(1 day)", "UTC");
        assert!(validate_schedules("worker", &[longest]).is_empty());
    }
}
