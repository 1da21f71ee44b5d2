//! How a message's time is written at the start of its row: `HH:MM` by
//! default, or a strftime-style format from the config file
//! (`timestamp = "%H:%M:%S"`). The width it takes decides where a wrapped
//! message's continuation rows start, so the layout asks it
//! ([`TimeFormat::width`]) rather than assuming five columns.
//!
//! Only the writing of one time; the time zone is the state's clock's, and
//! laying out rows is [`super::layout`]'s.

use std::sync::Arc;

use time::format_description::OwnedFormatItem;
use time::{OffsetDateTime, UtcOffset};
use unicode_width::UnicodeWidthStr;

/// The time before each message. Cheap to clone.
#[derive(Clone)]
pub struct TimeFormat {
    /// As the user wrote it, for `sapa config show`.
    source: Arc<str>,
    items: Arc<OwnedFormatItem>,
    /// Columns every formatted time takes (formats of fixed width only:
    /// month names vary, so their widest is measured).
    width: usize,
}

/// The default: hours and minutes.
pub const DEFAULT_TIME_FORMAT: &str = "%H:%M";

impl Default for TimeFormat {
    fn default() -> Self {
        Self::parse(DEFAULT_TIME_FORMAT).expect("the default format parses")
    }
}

impl TimeFormat {
    /// A strftime-style format (`%H:%M`, `%Y-%m-%d %H:%M:%S`, `[%H:%M]`).
    /// Refused: formats that do not parse, and ones wider than 24
    /// columns, which would leave a small terminal no room for text.
    pub fn parse(format: &str) -> Result<Self, String> {
        let items = time::format_description::parse_strftime_owned(format)
            .map_err(|e| format!("not a time format ({e})"))?;
        // The widest a time gets: every month and weekday, a two-digit day.
        let width = (1..=12u8)
            .filter_map(|m| time::Month::try_from(m).ok())
            .filter_map(|m| time::Date::from_calendar_date(2026, m, 28).ok())
            .filter_map(|d| d.with_hms(23, 59, 59).ok())
            .filter_map(|t| t.assume_utc().format(&items).ok())
            .map(|s| s.width())
            .max()
            .ok_or_else(|| "this format cannot write a time".to_owned())?;
        if width > 24 {
            return Err(format!(
                "{format:?} is {width} columns wide; at most 24 fit beside a message"
            ));
        }
        Ok(Self {
            source: format.into(),
            items: Arc::new(items),
            width,
        })
    }

    /// `t` in the viewer's time zone, as the format says.
    pub fn format(&self, t: OffsetDateTime, offset: UtcOffset) -> String {
        t.to_offset(offset)
            .format(&*self.items)
            .unwrap_or_else(|_| "-".repeat(self.width))
    }

    /// Columns a formatted time takes.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The format as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl std::fmt::Debug for TimeFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TimeFormat({:?})", self.source)
    }
}

impl PartialEq for TimeFormat {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}
