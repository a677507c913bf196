//! Cutting text to a service's limits with a visible marker, never inside a character.

/// Appended to every shortened text.
pub const MARKER: &str = "… [truncated]";

/// A shortened piece keeps at least this many units (marker included) while the others are
/// shortened, so no single value disappears to make room.
pub const MIN_KEEP: usize = 64;

/// How a service counts the length of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Unicode scalar values (Slack, Discord, Mattermost, Rocket.Chat, Google Chat text).
    Chars,
    /// UTF-8 bytes (request size limits: Teams, Webex, Google Chat cards).
    Bytes,
    /// UTF-16 code units (Telegram).
    Utf16,
}

impl Unit {
    /// The length of `s` in this unit.
    pub fn len(self, s: &str) -> usize {
        match self {
            Unit::Chars => s.chars().count(),
            Unit::Bytes => s.len(),
            Unit::Utf16 => s.encode_utf16().count(),
        }
    }

    fn char_len(self, c: char) -> usize {
        match self {
            Unit::Chars => 1,
            Unit::Bytes => c.len_utf8(),
            Unit::Utf16 => c.len_utf16(),
        }
    }
}

/// Cuts `s` to at most `max` units, the last of them [`MARKER`], at a character boundary.
/// Returns true when it cut.
pub fn truncate(s: &mut String, max: usize, unit: Unit) -> bool {
    if unit.len(s) <= max {
        return false;
    }
    let marker = unit.len(MARKER);
    let keep = max.saturating_sub(marker);
    let mut count = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let l = unit.char_len(c);
        if count + l > keep {
            break;
        }
        count += l;
        end = i + c.len_utf8();
    }
    s.truncate(end);
    if max >= marker {
        s.push_str(MARKER);
    }
    true
}

/// A copy of `s` cut to `max` units (see [`truncate`]), and whether it was cut.
pub fn truncated(s: &str, max: usize, unit: Unit) -> (String, bool) {
    let mut owned = s.to_owned();
    let cut = truncate(&mut owned, max, unit);
    (owned, cut)
}

/// Shortens the longest of `pieces` to one common length (never below [`MIN_KEEP`]) until
/// `measure`, the size of the whole message built from them, is at most `limit`. Measuring
/// the real message after each round accounts for escaping. Returns true when anything was
/// cut; when even that cannot make the message fit, the pieces are left as short as allowed
/// and the service decides.
pub fn shrink_to_fit(
    pieces: &mut [String],
    limit: usize,
    unit: Unit,
    mut measure: impl FnMut(&[String]) -> usize,
) -> bool {
    let mut cut = false;
    for _ in 0..8 {
        let size = measure(pieces);
        if size <= limit {
            break;
        }
        let Some(cap) = common_cap(pieces, size - limit, unit) else {
            break;
        };
        for piece in pieces.iter_mut() {
            cut |= truncate(piece, cap, unit);
        }
    }
    cut
}

/// The length `L` such that cutting every piece longer than `L` to `L` removes at least
/// `excess` units (water-filling), not below [`MIN_KEEP`]; `None` when nothing is longer
/// than that.
fn common_cap(pieces: &[String], excess: usize, unit: Unit) -> Option<usize> {
    let mut lens: Vec<usize> = pieces.iter().map(|p| unit.len(p)).collect();
    lens.sort_unstable_by(|a, b| b.cmp(a));
    if lens.first().is_none_or(|l| *l <= MIN_KEEP) {
        return None;
    }
    let mut sum = 0;
    let mut cap = MIN_KEEP;
    for k in 0..lens.len() {
        sum += lens[k];
        let next = lens.get(k + 1).copied().unwrap_or(0);
        let level = sum.saturating_sub(excess) / (k + 1);
        if level >= next {
            cap = level;
            break;
        }
    }
    Some(cap.max(MIN_KEEP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_character_boundaries_with_the_marker() {
        let (s, cut) = truncated("héllo wörld, this is long", 20, Unit::Chars);
        assert!(cut);
        assert_eq!(s, "héllo w… [truncated]");
        assert_eq!(Unit::Chars.len(&s), 20);
        let (s, cut) = truncated("ééééééééééééééééé", 20, Unit::Bytes);
        assert!(cut);
        assert!(s.len() <= 20 && s.ends_with(MARKER), "{s}");
        let (s, cut) = truncated("😀😀😀😀😀😀😀😀😀😀😀", 16, Unit::Utf16);
        assert!(cut);
        assert_eq!(Unit::Utf16.len(&s), 15, "{s}");
        assert_eq!(truncated("short", 20, Unit::Chars), ("short".into(), false));
    }

    #[test]
    fn shrinks_the_longest_pieces_until_the_whole_fits() {
        let mut pieces = vec!["a".repeat(500), "b".repeat(300), "c".repeat(10)];
        let cut = shrink_to_fit(&mut pieces, 400, Unit::Chars, |p| {
            p.iter().map(|s| s.len() + 2).sum()
        });
        assert!(cut);
        let total: usize = pieces.iter().map(|s| s.chars().count() + 2).sum();
        assert!(total <= 400, "{total}");
        assert_eq!(pieces[2], "c".repeat(10), "short pieces are kept");
        assert!(pieces[0].ends_with(MARKER) && pieces[1].ends_with(MARKER));
        assert_eq!(
            pieces[0].chars().count(),
            pieces[1].chars().count(),
            "cut evenly"
        );
    }

    #[test]
    fn gives_up_without_looping_when_nothing_can_be_cut() {
        let mut pieces = vec!["x".repeat(MIN_KEEP)];
        assert!(!shrink_to_fit(&mut pieces, 10, Unit::Chars, |p| p[0].len()));
        assert_eq!(pieces[0].len(), MIN_KEEP);
    }
}
