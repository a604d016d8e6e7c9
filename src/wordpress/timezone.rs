//! The old site's time zone, read from the export: WordPress writes each
//! date twice, in the site's local time (`post_date`) and in UTC
//! (`post_date_gmt`), so their difference is the site's offset at that
//! moment. The offsets in winter and in summer name the zone (or a few
//! zones with the same clock; the site's country, from its address, picks
//! one of them).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime};

use super::wxr::Export;

/// An offset from UTC, in minutes, at a UTC instant.
pub type Observed = (NaiveDateTime, i32);

/// Zone names by country: the last part of the site's domain, and the name.
type ByCountry = &'static [(&'static str, &'static str)];

/// Zones by their offsets in (northern) winter and summer, in minutes, the
/// name to suggest, and the names for some countries.
const ZONES: &[(i32, i32, &str, ByCountry)] = &[
    (-600, -600, "Pacific/Honolulu", &[]),
    (-540, -480, "America/Anchorage", &[]),
    (-480, -420, "America/Los_Angeles", &[("ca", "America/Vancouver")]),
    (-420, -360, "America/Denver", &[("ca", "America/Edmonton")]),
    (-420, -420, "America/Phoenix", &[]),
    (-360, -300, "America/Chicago", &[("ca", "America/Winnipeg")]),
    (-360, -360, "America/Mexico_City", &[("mx", "America/Mexico_City")]),
    (-300, -240, "America/New_York", &[("ca", "America/Toronto")]),
    (-240, -180, "America/Halifax", &[]),
    (-180, -180, "America/Sao_Paulo", &[("ar", "America/Argentina/Buenos_Aires")]),
    (0, 60, "Europe/London", &[("ie", "Europe/Dublin"), ("pt", "Europe/Lisbon")]),
    (
        60,
        120,
        "Europe/Berlin",
        &[
            ("at", "Europe/Vienna"),
            ("be", "Europe/Brussels"),
            ("ch", "Europe/Zurich"),
            ("cz", "Europe/Prague"),
            ("dk", "Europe/Copenhagen"),
            ("es", "Europe/Madrid"),
            ("fr", "Europe/Paris"),
            ("hu", "Europe/Budapest"),
            ("it", "Europe/Rome"),
            ("nl", "Europe/Amsterdam"),
            ("no", "Europe/Oslo"),
            ("pl", "Europe/Warsaw"),
            ("se", "Europe/Stockholm"),
        ],
    ),
    (60, 60, "Africa/Lagos", &[]),
    (
        120,
        180,
        "Europe/Helsinki",
        &[("bg", "Europe/Sofia"), ("gr", "Europe/Athens"), ("ro", "Europe/Bucharest"), ("ua", "Europe/Kyiv")],
    ),
    (120, 120, "Africa/Johannesburg", &[("eg", "Africa/Cairo")]),
    (180, 180, "Europe/Moscow", &[("tr", "Europe/Istanbul")]),
    (240, 240, "Asia/Dubai", &[]),
    (330, 330, "Asia/Kolkata", &[]),
    (420, 420, "Asia/Bangkok", &[("vn", "Asia/Ho_Chi_Minh")]),
    (480, 480, "Asia/Singapore", &[("cn", "Asia/Shanghai"), ("hk", "Asia/Hong_Kong"), ("au", "Australia/Perth")]),
    (540, 540, "Asia/Tokyo", &[("kr", "Asia/Seoul")]),
    (660, 600, "Australia/Sydney", &[]),
    (600, 600, "Australia/Brisbane", &[]),
    (780, 720, "Pacific/Auckland", &[]),
];

/// Every offset the export shows: of its posts, pages and comments whose
/// local and UTC dates are both given.
pub fn observed(export: &Export) -> Vec<Observed> {
    let mut found = Vec::new();
    let mut add = |local: &str, utc: &str| {
        if let (Some(local), Some(utc)) = (parse(local), parse(utc)) {
            let minutes = (local - utc).num_minutes();
            // WordPress's offsets are whole quarter hours, and within a day.
            if minutes % 15 == 0 && minutes.abs() <= 14 * 60 {
                found.push((utc, minutes as i32));
            }
        }
    };
    for item in &export.items {
        add(&item.date, &item.date_gmt);
        for comment in &item.comments {
            add(&comment.date, &comment.date_gmt);
        }
    }
    found.sort();
    found
}

fn parse(text: &str) -> Option<NaiveDateTime> {
    if text.starts_with("0000") {
        return None;
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()
}

/// The UTC instant of a local time of the old site: its offset is the one
/// observed nearest in the year (summer time or not), then in time (none
/// observed: taken as UTC).
pub fn local_to_utc(observed: &[Observed], local: NaiveDateTime) -> NaiveDateTime {
    let day = i64::from(local.ordinal0());
    let nearest = observed
        .iter()
        .min_by_key(|(at, _)| {
            let apart = (i64::from(at.ordinal0()) - day).abs();
            (apart.min(365 - apart), (*at - local).num_seconds().abs())
        })
        .map_or(0, |(_, m)| *m);
    local - chrono::Duration::minutes(i64::from(nearest))
}

/// The most common offset in `months`, if any was observed then.
fn usual_offset(observed: &[Observed], months: &[u32]) -> Option<i32> {
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    for (_, minutes) in observed.iter().filter(|(at, _)| months.contains(&at.month())) {
        *counts.entry(*minutes).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, count)| *count).map(|(minutes, _)| minutes)
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '−' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

/// What the report says of the old site's time zone: the setting to add,
/// and how it was found.
pub fn suggestion(observed: &[Observed], site_url: &str) -> Vec<String> {
    if observed.is_empty() {
        return vec!["the export gives no local times: the dates are kept in UTC; set `[site] timezone` (an IANA \
                     name such as \"Europe/Berlin\") to show them in the doctor's time"
            .to_owned()];
    }
    let winter = usual_offset(observed, &[11, 12, 1, 2]);
    let summer = usual_offset(observed, &[5, 6, 7, 8]);
    let (winter, summer) = match (winter, summer) {
        (Some(w), Some(s)) => (w, Some(s)),
        (Some(w), None) => (w, None),
        (None, Some(s)) => (s, None),
        (None, None) => (observed[0].1, None),
    };
    let clock = match summer {
        Some(summer) if summer != winter => {
            format!("{} in winter and {} in summer", format_offset(winter), format_offset(summer))
        }
        _ => format_offset(winter),
    };
    if winter == 0 && summer.is_none_or(|s| s == 0) {
        return vec![
            "the old site's clock was UTC; the dates are kept as they were; the setting to keep showing them so:"
                .to_owned(),
            "  [site]".to_owned(),
            "  timezone = \"UTC\"".to_owned(),
        ];
    }
    let country = url::Url::parse(site_url)
        .ok()
        .and_then(|u| u.host_str().and_then(|h| h.rsplit('.').next().map(str::to_lowercase)))
        .unwrap_or_default();
    let zone = ZONES
        .iter()
        .find(|(w, s, _, _)| *w == winter && summer.is_none_or(|summer| summer == *s))
        .or_else(|| ZONES.iter().find(|(w, s, _, _)| *s == winter && summer.is_none() && w == s));
    match zone {
        Some((_, _, default, by_country)) => {
            let name = by_country.iter().find(|(tld, _)| *tld == country).map_or(*default, |(_, name)| *name);
            vec![
                format!(
                    "the old site's clock ran at {clock} (from {} dates), as in {name}; the dates are kept as the same \
                     moments in UTC. To show them as WordPress did, add to the configuration file:",
                    observed.len()
                ),
                "  [site]".to_owned(),
                format!("  timezone = \"{name}\""),
                "  (any zone with the same clock shows the same dates: use the one of the doctor's city if it differs)"
                    .to_owned(),
            ]
        }
        None => vec![format!(
            "the old site's clock ran at {clock} (from {} dates); the dates are kept as the same moments in UTC. To \
             show them as WordPress did, set `[site] timezone` to the IANA name of that zone (the one of the \
             doctor's city, such as \"Asia/Tehran\")",
            observed.len()
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn winter_and_summer_offsets_name_the_zone_and_the_country_picks_among_equals() {
        let observed = vec![(at("2024-01-10 12:00:00"), 60), (at("2024-07-10 12:00:00"), 120)];
        let lines = suggestion(&observed, "https://praxis.example.fr");
        assert!(lines.iter().any(|l| l.contains("timezone = \"Europe/Paris\"")), "{lines:?}");
        let lines = suggestion(&observed, "https://headache-notes.example");
        assert!(lines.iter().any(|l| l.contains("timezone = \"Europe/Berlin\"")), "{lines:?}");
        assert!(lines[0].contains("UTC+01:00 in winter and UTC+02:00 in summer"), "{lines:?}");
    }

    #[test]
    fn a_clock_with_no_known_zone_is_said_as_an_offset() {
        let lines = suggestion(&[(at("2024-01-10 12:00:00"), 210)], "https://x.example");
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("UTC+03:30") && lines[0].contains("IANA name"), "{lines:?}");
    }

    #[test]
    fn a_local_time_without_its_utc_takes_the_nearest_offset() {
        let observed = vec![(at("2024-01-10 12:00:00"), -300), (at("2024-07-10 12:00:00"), -240)];
        assert_eq!(local_to_utc(&observed, at("2025-01-15 10:00:00")), at("2025-01-15 15:00:00"));
        assert_eq!(local_to_utc(&[], at("2025-01-15 10:00:00")), at("2025-01-15 10:00:00"));
    }
}
