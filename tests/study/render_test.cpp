// Renders report.html in headless Chromium (when installed: /usr/bin/chromium, or
// $TALLY_CHROMIUM) and checks the screenshot is a real picture and the console stayed
// clean. Skipped without Chromium; the report itself needs no browser.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "study/report.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "tests/chromium.h"
#include "tests/study/synthetic_run.h"

namespace tally::study {
namespace {

using support::TempDir;
using tally::chromium::chromium_args;
using tally::chromium::chromium_path;
using tally::chromium::console_errors;
using tally::chromium::run_bounded;
using RunResult = tally::chromium::ChromiumRun;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

// The detector itself: a page that throws must be caught, or a change in Chromium's log
// format would make the real check pass vacuously.
TEST(StudyRender, ConsoleErrorsAreDetected) {
  if (!std::filesystem::exists(chromium_path())) GTEST_SKIP() << chromium_path() << " not installed";
  TempDir work;
  const auto page = work.path() / "bad.html";
  testing::write_text(page, "<html><body>x<script>undefined_function();</script></body></html>");
  auto args = chromium_args(work.path() / "profile");
  args.push_back("--dump-dom");
  args.push_back("file://" + page.string());
  const RunResult r = run_bounded(args, std::chrono::seconds(90));
  ASSERT_TRUE(r.finished) << r.err;
  EXPECT_FALSE(console_errors(r.err).empty()) << r.err;
}

TEST(StudyRender, HeadlessChromiumRendersTheReport) {
  if (!std::filesystem::exists(chromium_path())) GTEST_SKIP() << chromium_path() << " not installed";
  TempDir dir;
  testing::scenario().write(dir.path());
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  const std::string url = "file://" + std::filesystem::absolute(rep->html_path).string();

  TempDir work;
  auto args = chromium_args(work.path() / "profile");
  args.push_back("--screenshot=" + (work.path() / "report.png").string());
  args.push_back("--window-size=1280,2000");
  args.push_back(url);
  const RunResult shot = run_bounded(args, std::chrono::seconds(90));
  ASSERT_TRUE(shot.finished) << "chromium did not finish in time\n" << shot.err;
  const std::string png = slurp(work.path() / "report.png");
  ASSERT_GE(png.size(), 24u) << "no screenshot; stderr:\n" << shot.err;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(be32(png, 16), 1280u);  // IHDR width
  EXPECT_EQ(be32(png, 20), 2000u);  // IHDR height
  // A blank 1280x2000 page compresses to a few KB; charts and tables make it far larger.
  EXPECT_GT(png.size(), 60'000u);
  EXPECT_TRUE(console_errors(shot.err).empty()) << shot.err;
  // TALLY_STUDY_KEEP=DIR keeps the page and its screenshot for a human look.
  if (const char* keep = std::getenv("TALLY_STUDY_KEEP"); keep && *keep) {
    std::filesystem::create_directories(keep);
    for (const auto& f : {rep->html_path, rep->json_path, work.path() / "report.png"})
      std::filesystem::copy_file(f, std::filesystem::path(keep) / f.filename(),
                                 std::filesystem::copy_options::overwrite_existing);
  }

  TempDir work2;
  auto dom_args = chromium_args(work2.path() / "profile");
  dom_args.push_back("--dump-dom");
  dom_args.push_back(url);
  const RunResult dom = run_bounded(dom_args, std::chrono::seconds(90));
  ASSERT_TRUE(dom.finished) << dom.err;
  EXPECT_NE(dom.out.find("Tally convergence study"), std::string::npos) << dom.out.substr(0, 500);
  EXPECT_NE(dom.out.find("<svg"), std::string::npos);
  EXPECT_TRUE(console_errors(dom.err).empty()) << dom.err;
}

}  // namespace
}  // namespace tally::study
