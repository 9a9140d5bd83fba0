//! Membership rows written straight from the snapshot as JSON objects or CSV lines,
//! byte for byte as the SQL path's serde answers write them (a differential test holds
//! the two equal): names come pre-written from the snapshot, dates and numbers are
//! formatted here.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::snapshot::{Held, Snapshot};
use crate::http::format::csv_text;

/// `d` as `YYYY-MM-DD` for the years 0 to 9999 (chrono's own form), else `None`.
fn plain_date(out: &mut String, d: NaiveDate) -> bool {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return false;
    }
    let (m, day) = (d.month(), d.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        -1,
        (m / 10) as i32,
        (m % 10) as i32,
        -1,
        (day / 10) as i32,
        (day % 10) as i32,
    ];
    for d in digits {
        out.push(if d < 0 { '-' } else { (b'0' + d as u8) as char });
    }
    true
}

fn push_json_date(out: &mut String, d: Option<NaiveDate>) {
    match d {
        Some(d) => {
            out.push('"');
            if !plain_date(out, d) {
                let s = serde_json::to_string(&d).unwrap_or_default();
                out.push_str(s.trim_matches('"'));
            }
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

fn push_csv_date(out: &mut String, d: Option<NaiveDate>) {
    if let Some(d) = d
        && !plain_date(out, d)
    {
        let s = serde_json::to_value(d).unwrap_or_default();
        out.push_str(&csv_text(s.as_str().unwrap_or_default()));
    }
}

/// A date as the JSON answers write it, quotes included.
pub fn json_date(d: NaiveDate) -> String {
    let mut s = String::with_capacity(12);
    push_json_date(&mut s, Some(d));
    s
}

/// An integer in decimal, without the formatting machinery.
fn push_int(out: &mut String, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// How a row is served: participation as on `day` (before `participation_since` it was
/// active), and the `lineage` flag of a members answer.
#[derive(Debug, Clone, Copy)]
pub struct RowView {
    pub day: Option<NaiveDate>,
    /// `Some(org)`: add `lineage`, true when the row is not `org`'s own.
    pub lineage_of: Option<u32>,
}

impl RowView {
    pub const PLAIN: RowView = RowView {
        day: None,
        lineage_of: None,
    };

    fn participation(&self, s: &Snapshot, h: &Held) -> u32 {
        if h.active_before_since(self.day) {
            s.active
        } else {
            h.participation
        }
    }
}

/// One membership row as a JSON object.
pub fn json_row(out: &mut String, s: &Snapshot, h: &Held, view: RowView) {
    let w = |id| &*s.words.get(id).json;
    out.push_str("{\"membership_id\":");
    push_int(out, h.id);
    out.push_str(&s.state(h.state).json);
    out.push_str(&s.org(h.org).json);
    out.push_str(",\"role\":");
    out.push_str(w(h.role));
    out.push_str(if h.founding {
        ",\"founding\":true,\"joined_on\":"
    } else {
        ",\"founding\":false,\"joined_on\":"
    });
    push_json_date(out, Some(h.joined_on));
    out.push_str(",\"joined_precision\":");
    out.push_str(w(h.joined_precision));
    out.push_str(",\"left_on\":");
    push_json_date(out, h.left_on);
    out.push_str(",\"left_precision\":");
    out.push_str(w(h.left_precision));
    out.push_str(",\"end_reason\":");
    out.push_str(h.end_reason.map_or("null", w));
    out.push_str(",\"participation\":");
    out.push_str(w(view.participation(s, h)));
    out.push_str(",\"participation_since\":");
    push_json_date(out, h.participation_since);
    out.push_str(",\"note\":");
    match &h.note {
        Some(n) => out.push_str(&super::snapshot::json_string(n)),
        None => out.push_str("null"),
    }
    out.push_str(",\"confidence\":");
    out.push_str(w(h.confidence));
    out.push_str(",\"sources\":[");
    for (i, src) in h.sources.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(w(*src));
    }
    out.push(']');
    if let Some(org) = view.lineage_of {
        out.push_str(if h.org != org {
            ",\"lineage\":true"
        } else {
            ",\"lineage\":false"
        });
    }
    out.push('}');
}

/// One membership row as a CSV line (CRLF), its columns as the JSON object's keys.
pub fn csv_row(out: &mut String, s: &Snapshot, h: &Held, view: RowView) {
    let w = |id| &*s.words.get(id).csv;
    push_int(out, h.id);
    out.push(',');
    out.push_str(&s.state(h.state).csv);
    out.push(',');
    out.push_str(&s.org(h.org).csv);
    out.push(',');
    out.push_str(w(h.role));
    out.push_str(if h.founding { ",true," } else { ",false," });
    push_csv_date(out, Some(h.joined_on));
    out.push(',');
    out.push_str(w(h.joined_precision));
    out.push(',');
    push_csv_date(out, h.left_on);
    out.push(',');
    out.push_str(w(h.left_precision));
    out.push(',');
    out.push_str(h.end_reason.map_or("", w));
    out.push(',');
    out.push_str(w(view.participation(s, h)));
    out.push(',');
    push_csv_date(out, h.participation_since);
    out.push(',');
    if let Some(n) = &h.note {
        out.push_str(&csv_text(n));
    }
    out.push(',');
    out.push_str(w(h.confidence));
    out.push(',');
    match h.sources.len() {
        0 => {}
        1 => out.push_str(w(h.sources[0])),
        _ => {
            let joined: Vec<&str> = h.sources.iter().map(|id| &*s.words.get(*id).text).collect();
            out.push_str(&csv_text(&joined.join(";")));
        }
    }
    if let Some(org) = view.lineage_of {
        out.push_str(if h.org != org { ",true" } else { ",false" });
    }
    out.push_str("\r\n");
}

/// An answer being written: the JSON envelope's `data` array or the CSV lines.
pub struct Body {
    pub out: String,
    pub csv: bool,
    rows: usize,
}

impl Body {
    /// Start an answer of about `rows` membership rows; CSV starts with its header row.
    pub fn new(csv: bool, columns: &[String], rows: usize) -> Body {
        let mut out = String::with_capacity(512 + rows * if csv { 360 } else { 760 });
        if csv {
            let header: Vec<String> = columns.iter().map(|c| csv_text(c)).collect();
            out.push_str(&header.join(","));
            out.push_str("\r\n");
        } else {
            out.push_str("{\"data\":[");
        }
        Body { out, csv, rows: 0 }
    }

    /// Before a JSON row: the comma between rows. Counts the row.
    pub fn next_row(&mut self) {
        if !self.csv && self.rows > 0 {
            self.out.push(',');
        }
        self.rows += 1;
    }

    pub fn membership(&mut self, s: &Snapshot, h: &Held, view: RowView) {
        self.next_row();
        if self.csv {
            csv_row(&mut self.out, s, h, view);
        } else {
            json_row(&mut self.out, s, h, view);
        }
    }

    /// Close the answer: JSON gets its `page` and the envelope's other keys, each value
    /// already JSON.
    pub fn finish(mut self, extra: &[(&str, &str)]) -> String {
        if !self.csv {
            let _ = write!(
                self.out,
                "],\"page\":{{\"limit\":null,\"next_cursor\":null,\"total\":{}}}",
                self.rows
            );
            for (k, v) in extra {
                let _ = write!(self.out, ",\"{k}\":{v}");
            }
            self.out.push('}');
        }
        self.out
    }
}
