#include "study/svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace tally::study::svg {

namespace {
constexpr std::size_t kLegendChars = 24;  // what fits the right margin at 12 px
}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> out;
  if (!(hi > lo) || target < 1) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (out.size() > 100) break;
  }
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(lo > 0) || !(hi > lo)) return out;
  for (double decade = std::pow(10.0, std::floor(std::log10(lo))); decade <= hi && out.size() < 60; decade *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (const double t = m * decade; t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push_back(t);
  return out;
}

const char* color(std::size_t i) {
  static constexpr std::array<const char*, 10> kPalette{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[i % kPalette.size()];
}

Chart::Chart(int width, int height, double x0, double x1, double y0, double y1)
    : width_(width), height_(height), x0_(x0), x1_(x1), y0_(y0), y1_(y1) {}

void Chart::widen(double& lo, double& hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi > lo) return;
  const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.1 : 1;
  lo -= pad;
  hi += pad;
}

double Chart::px(double x) const {
  if (log_x_) {
    const double lx = std::log10(std::max(x, x0_));
    return left() + (lx - std::log10(x0_)) / (std::log10(x1_) - std::log10(x0_)) * (right() - left());
  }
  return left() + (x - x0_) / (x1_ - x0_) * (right() - left());
}
double Chart::py(double y) const { return bottom() - (y - y0_) / (y1_ - y0_) * (bottom() - top()); }

void Chart::axes(std::string_view x_label, std::string_view y_label, bool y_percent) {
  std::string s = "<g class=\"axes\">";
  const auto xt = log_x_ ? log_ticks(x0_, x1_) : nice_ticks(x0_, x1_, std::max(2, (right() - left()) / 90));
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : xt) {
    const int xdec = log_x_ ? (t >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(t))))
                            : (xstep >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(xstep))));
    const double x = px(t);
    s += "<line class=\"grid\" x1=\"" + number(x) + "\" y1=\"" + std::to_string(top()) + "\" x2=\"" + number(x) +
         "\" y2=\"" + std::to_string(bottom()) + "\"/>";
    s += "<text class=\"tick\" x=\"" + number(x) + "\" y=\"" + std::to_string(bottom() + 16) +
         "\" text-anchor=\"middle\">" + number(t, xdec) + "</text>";
  }
  const auto yt = nice_ticks(y0_, y1_, std::max(2, (bottom() - top()) / 50));
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  const int ydec = y_percent ? 0 : (ystep >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(ystep))));
  for (double t : yt) {
    const double y = py(t);
    s += "<line class=\"grid\" x1=\"" + std::to_string(left()) + "\" y1=\"" + number(y) + "\" x2=\"" +
         std::to_string(right()) + "\" y2=\"" + number(y) + "\"/>";
    s += "<text class=\"tick\" x=\"" + std::to_string(left() - 6) + "\" y=\"" + number(y + 4) +
         "\" text-anchor=\"end\">" + (y_percent ? number(t * 100, 0) + "%" : number(t, ydec)) + "</text>";
  }
  s += "<rect class=\"frame\" x=\"" + std::to_string(left()) + "\" y=\"" + std::to_string(top()) + "\" width=\"" +
       std::to_string(right() - left()) + "\" height=\"" + std::to_string(bottom() - top()) + "\"/>";
  s += "<text class=\"label\" x=\"" + number((left() + right()) / 2.0) + "\" y=\"" + std::to_string(height_ - 8) +
       "\" text-anchor=\"middle\">" + escape(x_label) + "</text>";
  s += "<text class=\"label\" transform=\"translate(14," + number((top() + bottom()) / 2.0) +
       ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) + "</text>";
  s += "</g>";
  // Axes go under the marks drawn so far and after.
  body_ = s + body_;
}

void Chart::polyline(const Points& points, std::string_view c, double width, std::string_view dash) {
  if (points.empty()) return;
  std::string s = "<polyline fill=\"none\" stroke=\"" + escape(c) + "\" stroke-width=\"" + number(width) + "\"";
  if (!dash.empty()) s += " stroke-dasharray=\"" + escape(dash) + "\"";
  s += " points=\"";
  for (const auto& [x, y] : points) s += number(px(x)) + "," + number(py(y)) + " ";
  s += "\"/>";
  body_ += s;
}

void Chart::steps(const Points& points, double x_end, std::string_view c, double width, std::string_view dash) {
  Points out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    out.push_back(points[i]);
    const double next_x = i + 1 < points.size() ? points[i + 1].first : x_end;
    out.emplace_back(next_x, points[i].second);
  }
  polyline(out, c, width, dash);
}

void Chart::band(double x0, double x1, std::string_view fill, std::string_view label) {
  const double a = std::clamp(px(x0), double(left()), double(right()));
  const double b = std::clamp(px(x1), double(left()), double(right()));
  body_ += "<rect x=\"" + number(a) + "\" y=\"" + std::to_string(top()) + "\" width=\"" + number(std::max(b - a, 1.0)) +
           "\" height=\"" + std::to_string(bottom() - top()) + "\" fill=\"" + escape(fill) + "\"><title>" +
           escape(label) + "</title></rect>";
  body_ += "<text class=\"mark\" x=\"" + number(a + 3) + "\" y=\"" + std::to_string(top() + 12) + "\">" + escape(label) +
           "</text>";
}

void Chart::vline(double x, std::string_view c, std::string_view label, std::string_view dash) {
  const double a = px(x);
  body_ += "<line x1=\"" + number(a) + "\" y1=\"" + std::to_string(top()) + "\" x2=\"" + number(a) + "\" y2=\"" +
           std::to_string(bottom()) + "\" stroke=\"" + escape(c) + "\" stroke-width=\"1.5\"";
  if (!dash.empty()) body_ += " stroke-dasharray=\"" + escape(dash) + "\"";
  body_ += "><title>" + escape(label) + "</title></line>";
  body_ += "<text class=\"mark\" x=\"" + number(a + 3) + "\" y=\"" + std::to_string(bottom() - 6) + "\" fill=\"" +
           escape(c) + "\">" + escape(label) + "</text>";
}

void Chart::bar(double x0, double x1, double y0, double y1, std::string_view fill, std::string_view tooltip) {
  const double a = px(x0), b = px(x1), top_px = py(y1), bottom_px = py(y0);
  body_ += "<rect x=\"" + number(a) + "\" y=\"" + number(top_px) + "\" width=\"" + number(b - a) + "\" height=\"" +
           number(bottom_px - top_px) + "\" fill=\"" + escape(fill) + "\"><title>" + escape(tooltip) + "</title></rect>";
}

void Chart::legend(const std::vector<LegendEntry>& entries) {
  if (entries.empty()) return;
  const int x = right() + 12, y = top();
  const int w = kRight - 18;
  const int h = 8 + 16 * static_cast<int>(entries.size());
  std::string s = "<g class=\"legend\"><rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
                  std::to_string(w) + "\" height=\"" + std::to_string(h) + "\"/>";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int ly = y + 14 + 16 * static_cast<int>(i);
    s += "<line x1=\"" + std::to_string(x + 6) + "\" y1=\"" + std::to_string(ly - 4) + "\" x2=\"" +
         std::to_string(x + 26) + "\" y2=\"" + std::to_string(ly - 4) + "\" stroke=\"" + escape(entries[i].color) +
         "\" stroke-width=\"3\"";
    if (!entries[i].dash.empty()) s += " stroke-dasharray=\"" + escape(entries[i].dash) + "\"";
    // Long labels are cut to the margin; the full text is the tooltip.
    std::string label = entries[i].label;
    if (label.size() > kLegendChars) {
      std::size_t cut = kLegendChars - 1;
      while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
      label = label.substr(0, cut) + "\u2026";
    }
    s += "/><text x=\"" + std::to_string(x + 30) + "\" y=\"" + std::to_string(ly) + "\">" + escape(label) +
         "<title>" + escape(entries[i].label) + "</title></text>";
  }
  body_ += s + "</g>";
}

std::string Chart::str(std::string_view title) const {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + std::to_string(width_) + "\" height=\"" +
         std::to_string(height_) + "\" viewBox=\"0 0 " + std::to_string(width_) + " " + std::to_string(height_) +
         "\" role=\"img\" aria-label=\"" + escape(title) + "\"><title>" + escape(title) + "</title>" + body_ + "</svg>";
}

}  // namespace tally::study::svg
