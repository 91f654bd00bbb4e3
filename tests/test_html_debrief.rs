//! The HTML debrief: one self-contained page, checked for structure and rendered in headless Chromium.

use crate::common::{TestEnvironment, walkthrough};
use std::path::Path;

/// Plays the default walkthrough and returns the HTML debrief written beside the Markdown.
fn walkthrough_html(env: &TestEnvironment) -> String {
    let steps = walkthrough();
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    let out = env.play(42, &steps);
    assert_eq!(out.status, 0, "{out}");
    assert!(env.path().join("debriefs/signup-outage-seed42.md").exists());
    std::fs::read_to_string(env.path().join("debriefs/signup-outage-seed42.html")).expect("html debrief")
}

#[test]
fn html_debrief_is_one_self_contained_page_with_charts_marked_by_each_action() {
    let env = TestEnvironment::new();
    let html = walkthrough_html(&env);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
    for tag in ["html", "head", "body", "section", "figure", "svg", "table", "ol", "details"] {
        let open = html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        assert_eq!(open, html.matches(&format!("</{tag}>")).count(), "unbalanced <{tag}>");
        assert!(open > 0, "no <{tag}>");
    }
    // Nothing is fetched: no scripts, stylesheets, images, fonts or frames from anywhere.
    for needle in ["<script", "<link", "<img", "<iframe", "src=", "url(", "@import"] {
        assert!(!html.contains(needle), "found {needle}");
    }
    assert!(html.contains("<h2>Score: 97/100</h2>"));
    for section in ["score", "charts", "truth", "timeline", "postmortem"] {
        assert!(html.contains(&format!("<section id=\"{section}\">")), "no {section} section");
    }
    // One chart per metric a real (not red-herring) alert watches, each a line across the drill.
    let charts: Vec<&str> = html.split("<figure class=\"chart\" data-series=\"").skip(1).collect();
    let series: Vec<&str> = charts.iter().map(|c| &c[..c.find('"').unwrap()]).collect();
    assert_eq!(series, vec!["web/signups_per_min", "auth/error_rate", "users-db/connections"]);
    let walkthrough_actions = 8;
    for chart in &charts {
        let points = chart.split("points=\"").nth(1).expect("a polyline").split('"').next().unwrap();
        assert!(points.split(' ').count() > 60, "a sample a minute from before impact to the end: {points}");
        assert_eq!(chart.matches("<g class=\"marker\">").count(), walkthrough_actions, "every action on every chart");
        assert_eq!(chart.matches("<line class=\"page\"").count(), 1);
        assert!(chart.contains("<rect class=\"impact\""), "impact band");
        assert!(chart.contains("class=\"threshold\""), "alert threshold");
    }
    assert_eq!(
        html.split("<ol class=\"markers\">").nth(1).unwrap().split("</ol>").next().unwrap().matches("<li>").count(),
        8
    );
    assert!(html.contains("set-rollout new_signup_handler 0%"), "the mitigation is listed");
    // Text from the drill is escaped, never markup.
    assert!(!html.contains("<pre><"), "output is escaped");
}

/// Counts pixels close to `rgb`.
fn pixels_near(image: &[u8], channels: usize, rgb: [u8; 3]) -> usize {
    image.chunks(channels).filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 24)).count()
}

#[test]
#[cfg_attr(not(wom_chromium), ignore = "needs Debian's chromium; scripts/test installs it")]
fn html_debrief_renders_in_headless_chromium_with_its_charts() {
    let env = TestEnvironment::new();
    walkthrough_html(&env);
    let page = env.path().join("debriefs/signup-outage-seed42.html");
    let shot = env.path().join("shot.png");
    let profile = env.path().join("chromium-profile");
    let status = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium failed: {status}");
    let (pixels, width, height, channels) = decode(&shot);
    assert_eq!((width, height), (1000, 2000));
    let background = pixels_near(&pixels, channels, [255, 255, 255]);
    let total = (width * height) as usize;
    assert!(background < total * 95 / 100, "the page is (nearly) blank: {background} of {total} pixels white");
    // The charts drew: the series line (#0969da), the action markers (#8250df), the page line (#cf222e) and
    // the impact band (#ffebe9) are all on screen in quantity.
    assert!(pixels_near(&pixels, channels, [0x09, 0x69, 0xda]) > 2_000, "no series lines");
    assert!(pixels_near(&pixels, channels, [0x82, 0x50, 0xdf]) > 1_000, "no action markers");
    assert!(pixels_near(&pixels, channels, [0xcf, 0x22, 0x2e]) > 300, "no page line");
    assert!(pixels_near(&pixels, channels, [0xff, 0xeb, 0xe9]) > 20_000, "no impact band");
}

fn decode(path: &Path) -> (Vec<u8>, u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("screenshot")));
    let mut reader = decoder.read_info().expect("a png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    buf.truncate(info.buffer_size());
    (buf, info.width, info.height, channels)
}
