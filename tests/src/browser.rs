//! A real headless Chromium driven over the DevTools protocol, for the dashboard's browser
//! test: the page is loaded, typed into and clicked like a person would, its console is
//! watched, and screenshots are taken.
//!
//! No driver crate: Chromium speaks the protocol over a pipe (`--remote-debugging-pipe`: it
//! reads NUL-terminated JSON commands on fd 3 and writes answers and events on fd 4). A shell
//! `exec` maps the child's stdin and stdout onto those descriptors. Everything here blocks; run
//! it on a blocking thread (`tokio::task::spawn_blocking`).

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long one protocol command may take before the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The Chromium binary, installed by `deploy/ensure-chromium.sh` when missing.
pub fn chromium() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/ensure-chromium.sh");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("ensure-chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A running headless Chromium (killed when dropped) with one page.
pub struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Console errors, uncaught exceptions and failed loads seen so far.
    problems: Vec<String>,
    _profile: TempDir,
}

/// A throw-away profile directory (Chromium refuses to share one between instances).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// Starts Chromium with a blank page of `width` × `height` CSS pixels.
    pub fn launch(width: u32, height: u32) -> anyhow::Result<Self> {
        let profile =
            std::env::temp_dir().join(format!("kuaidi-chromium-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&profile)?;
        let mut child = Command::new("bash")
            .arg("-c")
            // fd 3 = our stdin (commands), fd 4 = our stdout (answers); Chromium's own stdout
            // joins its stderr.
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("chromium starts")?;
        let commands = child.stdin.take().context("stdin")?;
        let answers = child.stdout.take().context("stdout")?;
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut answers = BufReader::new(answers);
            loop {
                let mut buf = Vec::new();
                match answers.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        let Ok(message) = serde_json::from_slice::<Value>(&buf) else {
                            continue;
                        };
                        if tx.send(message).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut browser = Self {
            child,
            commands,
            messages,
            next_id: 0,
            session: String::new(),
            problems: Vec::new(),
            _profile: TempDir(profile),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}))?;
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .context("a session id")?
            .to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}))?;
        }
        browser.resize(width, height)?;
        Ok(browser)
    }

    /// Sends one command (to the page once attached) and waits for its answer; events that
    /// arrive meanwhile are recorded.
    pub fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message)?;
        bytes.push(0);
        self.commands.write_all(&bytes)?;
        self.commands.flush()?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => bail!("{method}: no answer"),
                Err(RecvTimeoutError::Disconnected) => bail!("{method}: chromium exited"),
            };
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    bail!("{method}: {error}");
                }
                return Ok(message["result"].clone());
            }
            self.record(&message);
        }
    }

    fn record(&mut self, event: &Value) {
        let p = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled")
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                self.problems
                    .push(format!("console.{}: {}", p["type"], p["args"]));
            }
            Some("Runtime.exceptionThrown") => {
                self.problems
                    .push(format!("uncaught: {}", p["exceptionDetails"]));
            }
            Some("Log.entryAdded") if p["entry"]["level"] == "error" => {
                self.problems.push(format!("log: {}", p["entry"]));
            }
            _ => {}
        }
    }

    /// Errors the page reported so far (console errors, uncaught exceptions, failed loads).
    pub fn problems(&mut self) -> Vec<String> {
        while let Ok(message) = self.messages.try_recv() {
            self.record(&message);
        }
        self.problems.clone()
    }

    /// Emulates a viewport of `width` × `height` CSS pixels (a phone, a desktop).
    pub fn resize(&mut self, width: u32, height: u32) -> anyhow::Result<()> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .map(drop)
    }

    /// Navigates to `url` and waits for the document to have loaded.
    pub fn open(&mut self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({"url": url}))?;
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(30),
        )
        .map(drop)
    }

    /// The value of a JavaScript expression (promises awaited).
    pub fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            bail!("{expression}: {e}");
        }
        Ok(r["result"]["value"].clone())
    }

    /// Waits until `expression` is truthy and returns its value.
    pub fn wait_for(&mut self, expression: &str, within: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + within;
        loop {
            let v = self.eval(expression)?;
            let truthy =
                !matches!(v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return Ok(v);
            }
            if Instant::now() > deadline {
                bail!("waited in vain for {expression}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the middle of the element `selector` with the mouse.
    pub fn click(&mut self, selector: &str) -> anyhow::Result<()> {
        let sel = serde_json::to_string(selector)?;
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ))?;
        let (x, y) = (at[0].clone(), at[1].clone());
        if !x.is_number() || !y.is_number() {
            return Err(anyhow!("{selector}: not on the page"));
        }
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// Clicks into the field `selector` and types `text` as keyboard input.
    pub fn type_into(&mut self, selector: &str, text: &str) -> anyhow::Result<()> {
        self.click(selector)?;
        self.call("Input.insertText", json!({"text": text}))
            .map(drop)
    }

    /// Writes a PNG of the whole page to `file`.
    pub fn screenshot(&mut self, file: &Path) -> anyhow::Result<()> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().context("image data")?)?;
        std::fs::write(file, png)?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.session.clear();
        let _ = self.call("Browser.close", json!({}));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
