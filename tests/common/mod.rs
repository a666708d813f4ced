//! The end-to-end harness: runs the real `tutti up` binary on a temporary data dir and drives
//! it with the real kubectl, each cluster with its own HOME so kubectl's discovery cache is
//! never shared between tests.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long `tutti up` may take to print its ready line.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// A running `tutti up`.
pub struct Cluster {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub url: String,
    /// Extra `tutti up` flags, kept for restarts.
    args: Vec<String>,
}

/// A finished kubectl run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Cluster {
    /// Starts a cluster on a fresh data dir.
    pub fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// Starts a cluster on a fresh data dir with extra `tutti up` flags.
    pub fn start_with(args: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut c = Cluster {
            child: None,
            dir,
            url: String::new(),
            args: args.iter().map(|s| s.to_string()).collect(),
        };
        c.launch();
        c
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir().join("kubeconfig")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn launch(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tutti"))
            .args(["up", "--port", "0", "--data-dir"])
            .arg(self.data_dir())
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tutti");
        let rx = lines_of(child.stdout.take().expect("piped stdout"));
        let line = rx
            .recv_timeout(START_DEADLINE)
            .expect("tutti up printed its ready line in time");
        assert!(
            line.starts_with("tutti is up at "),
            "unexpected first line: {line}"
        );
        self.url = line["tutti is up at ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        self.child = Some(child);
    }

    /// Stops the process with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let status = child.wait().expect("wait for tutti");
            assert!(status.success(), "tutti exited with {status} on SIGTERM");
        }
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same data dir.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Starts the process again after a crash.
    pub fn relaunch(&mut self) {
        self.launch();
    }

    fn kubectl_cmd(&self, args: &[&str]) -> Command {
        std::fs::create_dir_all(self.home()).expect("home dir");
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("HOME", self.home())
            .env("KUBECONFIG", self.kubeconfig())
            .env_remove("KUBECTL_EXTERNAL_DIFF");
        cmd
    }

    /// Runs kubectl and returns what it printed.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        Run::from(self.kubectl_cmd(args).output().expect("run kubectl"))
    }

    /// Runs kubectl with extra environment variables.
    pub fn kubectl_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.kubectl_cmd(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run kubectl"))
    }

    /// Runs kubectl with `input` on stdin.
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .kubectl_cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("kubectl output"))
    }

    /// Runs kubectl, failing the test unless it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.kubectl(args);
        assert_eq!(
            r.code, 0,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        r.stdout
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let r = self.kubectl(args);
        assert_ne!(
            r.code, 0,
            "kubectl {args:?} should have failed:\n{}",
            r.stdout
        );
        r.stderr
    }

    /// Makes sure a namespace exists (through `kubectl apply`).
    pub fn create_namespace(&self, name: &str) {
        let r = self.kubectl_stdin(
            &["apply", "-f", "-"],
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"),
        );
        assert_eq!(r.code, 0, "creating namespace {name}: {}", r.stderr);
    }

    /// Starts a long-running kubectl (e.g. `get -w`) whose stdout lines arrive on a channel.
    pub fn kubectl_stream(&self, args: &[&str]) -> Stream {
        let mut child = self
            .kubectl_cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run kubectl");
        let lines = lines_of(child.stdout.take().expect("piped stdout"));
        Stream { child, lines }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The lines a child writes, as they come, on a channel.
fn lines_of(out: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running kubectl whose output is read line by line.
pub struct Stream {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Stream {
    /// Waits (up to `deadline`) for a line containing every one of `needles`; returns the
    /// lines seen before and including it.
    pub fn wait_for(&self, needles: &[&str], deadline: Duration) -> Vec<String> {
        self.until(deadline, &format!("a line with {needles:?}"), |line| {
            needles.iter().all(|n| line.contains(n))
        })
    }

    /// Feeds every line to `done` until it returns true (or the deadline passes, which fails
    /// the test naming `what`); returns the lines seen.
    pub fn until(
        &self,
        deadline: Duration,
        what: &str,
        mut done: impl FnMut(&str) -> bool,
    ) -> Vec<String> {
        let end = std::time::Instant::now() + deadline;
        let mut seen = Vec::new();
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = done(&line);
                    seen.push(line);
                    if hit {
                        return seen;
                    }
                }
                Err(_) => panic!("no {what} within {deadline:?}; saw {seen:#?}"),
            }
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shared manifests from the Kubernetes website (beside the repository).
pub fn manifests_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/manifests/k8s-website");
    assert!(
        dir.is_dir(),
        "{} is missing: the tests need the shared manifests beside the repository",
        dir.display()
    );
    dir
}

/// Writes a file into the cluster's temp dir and returns its path.
pub fn write_file(c: &Cluster, name: &str, contents: &str) -> PathBuf {
    let path = c.dir.path().join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}
