//! Phone numbers in free text — a courier's description of a scan (`签收人 王五 电话13900001111`)
//! — masked for readers without a right to personal data: public tracking (SPEC §5 "no PII"),
//! and every reader of a shipment who sees its recipient masked (agents, analysts, operators,
//! an end customer reading a parcel they sent). Those who see the recipient read the text as
//! it was stored.

use kuaidi_shared::crypto::mask_phone;

/// The fewest digits of a run taken for a phone number.
const MIN_DIGITS: usize = 7;

/// `text` with every phone number in it masked as the API masks phones (`139****1111`,
/// `+86****1111`): a run of at least 7 digits, perhaps opened by `+` and with spaces or dashes
/// between its digits, is taken for one, and written without its separators, masked. The rest
/// of the text is kept as it is, shorter runs of digits too (`3 件`).
pub fn mask_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        let end = run_end(&chars, at);
        if end == at {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        let run = &chars[at..end];
        if run.iter().filter(|c| c.is_ascii_digit()).count() >= MIN_DIGITS {
            let number: String = run
                .iter()
                .filter(|c| c.is_ascii_digit() || **c == '+')
                .collect();
            out.push_str(&mask_phone(&number));
        } else {
            out.extend(run);
        }
        at = end;
    }
    out
}

/// Where the run of digits that starts at `start` ends (its separators inside it, never at its
/// end); `start` when no run starts there.
fn run_end(chars: &[char], start: usize) -> usize {
    let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
    let separator = |k: usize| matches!(chars.get(k), Some(' ' | '\u{3000}' | '-'));
    let mut k = start + usize::from(chars.get(start) == Some(&'+'));
    if !digit(k) {
        return start;
    }
    loop {
        while digit(k) {
            k += 1;
        }
        let mut next = k;
        while separator(next) {
            next += 1;
        }
        if next == k || !digit(next) {
            return k;
        }
        k = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_masked_as_the_api_masks_phones() {
        for (text, masked) in [
            ("签收人 王五 电话13900001111", "签收人 王五 电话139****1111"),
            ("13900001111", "139****1111"),
            ("电话:13900001111。", "电话:139****1111。"),
            // Spaces, dashes and a leading `+` belong to the number.
            ("致电 +86 139-0000-1111 未接通", "致电 +86****1111 未接通"),
            ("139 0000 1111", "139****1111"),
            ("139 - 0000 - 1111", "139****1111"),
            ("139\u{3000}0000\u{3000}1111", "139****1111"),
            // A separator after the last digit is not part of it.
            ("tel 139-0000-1111- ok", "tel 139****1111- ok"),
            // Seven digits make a phone; at least four always stay hidden.
            ("座机 8765432", "座机 ****"),
            ("座机 021-87654321", "座机 021****4321"),
            ("号码 12345678", "号码 ****5678"),
        ] {
            assert_eq!(mask_phones(text), masked, "{text}");
        }
    }

    #[test]
    fn shorter_runs_of_digits_and_text_without_digits_are_kept() {
        for kept in [
            "共 3 件, 2 号门",
            "柜号 123456",
            "12-34",
            "已发出",
            "",
            "+ 86",
            "08:30 到达",
        ] {
            assert_eq!(mask_phones(kept), kept);
        }
    }
}
