//! Evidence: by URI or uploaded (size limit, content-type allow-list, bytes that fit the
//! declared type, SHA-256), listed and downloaded under the case's own access rules.

use serde_json::json;
use uuid::Uuid;

use kuaidi_shared::testing::expect_problem;

use crate::helpers::{complaint, json_of, refused_fields, Desk};

/// A `multipart/form-data` body with `kind`, `description` and one file.
fn form(kind: &str, content_type: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "kuaidi-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\ncrushed box\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"box.png\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    t: &Desk,
    token: &str,
    id: &str,
    (content_type, body): (String, Vec<u8>),
) -> reqwest::Response {
    t.request(
        reqwest::Method::POST,
        &format!("/api/v1/complaints/{id}/evidence"),
        token,
    )
    .header("content-type", content_type)
    .body(body)
    .send()
    .await
    .expect("sent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_photo_is_stored_with_its_hash_and_downloaded_as_it_was() {
    let t = Desk::spawn().await;
    let case = t.created(&t.admin(), &complaint("damaged")).await;
    let id = case["id"].as_str().expect("id");
    let photo = b"\x89PNG\r\n\x1a\n not really a png \r\n--";

    let added = json_of(
        upload(&t, &t.admin(), id, form("photo", "image/png", photo)).await,
        201,
    )
    .await;

    assert_eq!(added["kind"], "photo");
    assert_eq!(added["size_bytes"], photo.len());
    assert_eq!(added["sha256"].as_str().expect("sha").len(), 64);
    let download = t.get(&t.admin(), added["uri"].as_str().expect("uri")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        photo.as_slice()
    );
    let linked = json_of(t.post(&t.admin(), &format!("/api/v1/complaints/{id}/evidence"),
        &json!({"kind": "system_record", "description": "scan log", "uri": "https://ops.example.com/scans/1"})).await, 201).await;
    assert_eq!(linked["sha256"], serde_json::Value::Null);
    let list = json_of(
        t.get(&t.admin(), &format!("/api/v1/complaints/{id}/evidence"))
            .await,
        200,
    )
    .await;
    assert_eq!(list["data"].as_array().expect("data").len(), 2);
    let other = t.merchant(Uuid::now_v7());
    assert_eq!(
        t.get(&other, &format!("/api/v1/complaints/{id}/evidence"))
            .await
            .status(),
        404,
        "the case's own rules"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_413_and_unlisted_types_415() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;

    let exe = upload(
        &t,
        &t.admin(),
        id,
        form("document", "application/x-msdownload", b"MZ"),
    )
    .await;
    assert_eq!(exe.status(), 415);
    assert_eq!(exe.headers()["content-type"], "application/problem+json");
    let big = vec![0u8; 10 * 1024 * 1024 + 1];
    assert_eq!(
        upload(&t, &t.admin(), id, form("video", "video/mp4", &big))
            .await
            .status(),
        413
    );
    let xml = t
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/complaints/{id}/evidence"),
            &t.admin(),
        )
        .header("content-type", "text/xml")
        .body("<x/>")
        .send()
        .await
        .expect("sent");
    assert_eq!(xml.status(), 415);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executable_declared_a_png_is_415_while_a_png_and_unknown_bytes_are_taken() {
    let t = Desk::spawn().await;
    let (id, admin) = (&t.opened("damaged").await, t.admin());
    let executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01";

    let disguised = upload(&t, &admin, id, form("photo", "image/png", executable)).await;
    let real = upload(&t, &admin, id, form("photo", "image/png", png)).await;
    let unknown = upload(&t, &admin, id, form("photo", "image/jpeg", b"test photo")).await;

    let problem = expect_problem(disguised, 415).await;
    assert_eq!(problem["code"], "unsupported_media_type", "{problem}");
    assert_eq!(
        problem["detail"],
        "the file is application/vnd.microsoft.portable-executable, not image/png",
        "the refusal names what the bytes are and what they were declared"
    );
    assert_eq!(json_of(real, 201).await["content_type"], "image/png");
    let taken = json_of(unknown, 201).await;
    assert_eq!(
        taken["content_type"], "image/jpeg",
        "unknown bytes: as declared"
    );
    let stored = t
        .get(&admin, &format!("/api/v1/complaints/{id}/evidence"))
        .await;
    let stored = json_of(stored, 200).await;
    let count = stored["data"].as_array().map(Vec::len);
    assert_eq!(count, Some(2), "the executable was not stored: {stored}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_is_a_whole_problem_saying_what_went_wrong_where() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;
    let path = format!("/api/v1/complaints/{id}/evidence");
    let (content_type, body) = form("document", "application/x-msdownload", b"MZ");

    let unsupported = t
        .request(reqwest::Method::POST, &path, &t.admin())
        .header("content-type", content_type)
        .header("x-request-id", "req-415")
        .body(body)
        .send()
        .await
        .expect("sent");
    let oversized = t
        .request(reqwest::Method::POST, &path, &t.admin())
        .header("content-type", "application/json")
        .header("x-request-id", "req-413")
        .body(format!(
            "{{\"description\": \"{}\"}}",
            "x".repeat(70 * 1024)
        ))
        .send()
        .await
        .expect("sent");

    for (resp, status, code, said) in [
        (
            unsupported,
            415,
            "unsupported_media_type",
            "application/x-msdownload is not accepted",
        ),
        (
            oversized,
            413,
            "payload_too_large",
            "uploads are limited to ",
        ),
    ] {
        let problem = expect_problem(resp, status).await;
        assert_eq!(
            (problem["status"].clone(), problem["code"].clone()),
            (json!(status), json!(code)),
            "{problem}"
        );
        assert_eq!(
            problem["type"],
            format!("https://kuaidi.dev/problems/{code}")
        );
        let detail = problem["detail"].as_str().expect("a detail");
        assert!(
            detail.starts_with(said),
            "the detail says what went wrong: {detail}"
        );
        assert_eq!(problem["instance"], path.as_str(), "{problem}");
        assert_eq!(problem["request_id"], format!("req-{status}"), "{problem}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_with_a_bad_kind_or_no_uri_is_422() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;

    let resp = t
        .post(
            &t.admin(),
            &format!("/api/v1/complaints/{id}/evidence"),
            &json!({"kind": "rumour"}),
        )
        .await;
    assert_eq!(refused_fields(resp).await, vec!["kind", "uri"]);
    let no_file = upload(
        &t,
        &t.admin(),
        id,
        (
            "multipart/form-data; boundary=b".into(),
            b"--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n--b--\r\n"
                .to_vec(),
        ),
    )
    .await;
    assert_eq!(refused_fields(no_file).await, vec!["file"]);
    let truncated = upload(
        &t,
        &t.admin(),
        id,
        (
            "multipart/form-data; boundary=b".into(),
            b"--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto".to_vec(),
        ),
    )
    .await;
    assert_eq!(
        refused_fields(truncated).await,
        vec!["body"],
        "a form cut short is bad input, not a server error"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_type_with_parameters_is_judged_by_its_media_type() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;
    let statement = "我看见快递员把箱子扔下车。".as_bytes();
    let added = json_of(
        upload(
            &t,
            &t.admin(),
            id,
            form("witness_statement", "text/plain; charset=utf-8", statement),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(added["content_type"], "text/plain");
    assert_eq!(
        added["sha256"],
        sha256_hex(statement),
        "the SHA-256 of the bytes sent"
    );
    t.stop().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_evidence_is_located_and_read_with_an_etag() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;
    let added = t
        .post(
            &t.admin(),
            &format!("/api/v1/complaints/{id}/evidence"),
            &json!({"kind": "photo", "description": "crushed box",
                    "uri": "https://files.example.com/box.jpg"}),
        )
        .await;
    assert_eq!(added.status(), 201);
    let location = added.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let evidence: serde_json::Value = added.json().await.expect("json");

    let read = t.get(&t.admin(), &location).await;

    assert_eq!(
        location,
        format!(
            "/api/v1/complaints/{id}/evidence/{}",
            evidence["id"].as_str().expect("id")
        )
    );
    assert_eq!(read.status(), 200);
    let etag = read.headers()["etag"].clone();
    let again = t
        .request(reqwest::Method::GET, &location, &t.admin())
        .header("if-none-match", etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 304, "unchanged since the ETag");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uri_is_an_http_or_https_address_or_an_uploads_download_path() {
    let t = Desk::spawn().await;
    let id = &t.opened("damaged").await;
    let path = format!("/api/v1/complaints/{id}/evidence");
    let add = |uri: &str| {
        let body = json!({"kind": "photo", "uri": uri});
        let path = path.clone();
        let t = &t;
        async move { t.post(&t.admin(), &path, &body).await }
    };

    for uri in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://files.example.com/box.jpg",
        "//files.example.com/box.jpg",
        "https://user:secret@files.example.com/box.jpg",
    ] {
        assert_eq!(refused_fields(add(uri).await).await, vec!["uri"], "{uri}");
    }
    let upload = json_of(
        upload(&t, &t.admin(), id, form("photo", "image/png", b"png")).await,
        201,
    )
    .await;
    let download = upload["uri"].as_str().expect("the upload's download path");
    for uri in ["https://files.example.com/box.jpg", download] {
        let added = json_of(add(uri).await, 201).await;
        assert_eq!(added["uri"], uri);
    }
    let list = json_of(t.get(&t.admin(), &path).await, 200).await;
    assert_eq!(list["data"].as_array().expect("page").len(), 3, "{list}");
    t.stop().await;
}
