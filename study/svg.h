// Inline SVG charts for report.html: a plot area with linear axes (ticks, grid, labels), and
// the marks the report needs (lines, steps, bars, bands, markers, legends). Everything that
// reaches the markup from the caller passes through escape(). Not thread-safe per Chart.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::study::svg {

// Escapes &, <, >, " and ' for text and attribute values.
std::string escape(std::string_view text);

// A short decimal form: at most `decimals` places, trailing zeros dropped.
std::string number(double v, int decimals = 2);

// Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// Ticks for a log axis over [lo, hi] (lo > 0): 1, 2 and 5 times each power of ten.
std::vector<double> log_ticks(double lo, double hi);

// A readable categorical palette (Tableau 10), cycled.
const char* color(std::size_t i);

struct LegendEntry {
  std::string label;
  std::string color;
  std::string dash;  // stroke-dasharray, empty for solid
};

using Points = std::vector<std::pair<double, double>>;

class Chart {
 public:
  // A chart of width x height pixels mapping [x0, x1] x [y0, y1] into the plot area.
  // REQUIRES: x1 > x0 and y1 > y0 (callers widen degenerate ranges with widen()).
  Chart(int width, int height, double x0, double x1, double y0, double y1);

  // A logarithmic x axis (REQUIRES: x0 > 0); values at or below x0 are drawn at the left edge.
  void set_log_x(bool on) { log_x_ = on; }

  // Widens [lo, hi] when it is empty or inverted, so a chart of one value still draws.
  static void widen(double& lo, double& hi);

  double px(double x) const;
  double py(double y) const;

  void axes(std::string_view x_label, std::string_view y_label, bool y_percent = false);
  void polyline(const Points& points, std::string_view color, double width = 2, std::string_view dash = "");
  // A step function: each value holds until the next point's x.
  void steps(const Points& points, double x_end, std::string_view color, double width = 2, std::string_view dash = "");
  void band(double x0, double x1, std::string_view fill, std::string_view label);
  void vline(double x, std::string_view color, std::string_view label, std::string_view dash = "");
  void bar(double x0, double x1, double y0, double y1, std::string_view fill, std::string_view tooltip);
  void legend(const std::vector<LegendEntry>& entries);
  void raw(std::string_view markup) { body_ += markup; }

  // The complete <svg> element; `title` becomes its accessible name.
  std::string str(std::string_view title) const;

  int left() const { return kLeft; }
  int right() const { return width_ - kRight; }
  int top() const { return kTop; }
  int bottom() const { return height_ - kBottom; }

 private:
  // The right margin holds the legend, so it never covers a line.
  static constexpr int kLeft = 64, kRight = 210, kTop = 16, kBottom = 48;
  int width_, height_;
  double x0_, x1_, y0_, y1_;
  bool log_x_ = false;
  std::string body_;
};

}  // namespace tally::study::svg
