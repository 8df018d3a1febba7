// Metrics: a Prometheus registry rendered in the text exposition format 0.0.4.
//
// Families are kept by name (std::map) and series by label values, so the rendered text has
// a stable order. Misuse (a bad name, a label count that differs from the declaration, a
// family re-declared as another type, a negative counter increment) is a programmer error
// and throws std::invalid_argument or std::logic_error.
#include "rpc/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tally::rpc {

namespace {

bool valid_metric_name(const std::string& s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(const std::string& s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also escape the double quote.
std::string escape(const std::string& s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

// Go's ParseFloat reads what std::to_chars writes (shortest round-trip form).
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

}  // namespace

struct Metrics::Family {
  struct Series {
    double value = 0;                  // counter, gauge
    std::vector<std::uint64_t> counts;  // histogram: per bucket (not cumulative), last = +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };

  std::string name;
  std::string help;
  std::string type;  // "counter", "gauge", "histogram"
  std::vector<std::string> label_names;
  std::vector<double> buckets;  // histogram upper bounds, increasing, without +Inf
  std::mutex mu;
  std::map<std::vector<std::string>, Series> series;  // GUARDED_BY(mu)

  Series& at(const std::vector<std::string>& label_values) {
    if (label_values.size() != label_names.size())
      throw std::invalid_argument("metric " + name + ": expected " + std::to_string(label_names.size()) +
                                  " label values, got " + std::to_string(label_values.size()));
    auto [it, inserted] = series.try_emplace(label_values);
    if (inserted && type == "histogram") it->second.counts.assign(buckets.size() + 1, 0);
    return it->second;
  }

  void render(std::string& out) {
    std::lock_guard lock(mu);
    if (series.empty()) return;
    out += "# HELP " + name + " " + escape(help, false) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [values, s] : series) {
      std::string labels;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) labels += ',';
        labels += label_names[i] + "=\"" + escape(values[i], true) + "\"";
      }
      if (type != "histogram") {
        out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + format_value(s.value) + "\n";
        continue;
      }
      const std::string prefix = labels.empty() ? "" : labels + ",";
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= buckets.size(); ++b) {
        cumulative += s.counts[b];
        const std::string le = b < buckets.size() ? format_value(buckets[b]) : "+Inf";
        out += name + "_bucket{" + prefix + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
      }
      const std::string braces = labels.empty() ? "" : "{" + labels + "}";
      out += name + "_sum" + braces + " " + format_value(s.sum) + "\n";
      out += name + "_count" + braces + " " + std::to_string(s.count) + "\n";
    }
  }
};

Metrics::Family& Metrics::family(const std::string& name, const std::string& help, const std::string& type,
                                 const std::vector<std::string>& label_names, const std::vector<double>& buckets) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    Family& f = *it->second;
    if (f.type != type) throw std::logic_error("metric " + name + " is a " + f.type + ", not a " + type);
    if (f.label_names != label_names) throw std::logic_error("metric " + name + " declared with other labels");
    return f;
  }
  if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name: " + name);
  for (const auto& l : label_names) {
    if (!valid_label_name(l) || (type == "histogram" && l == "le"))
      throw std::invalid_argument("metric " + name + ": bad label name: " + l);
  }
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = help;
  f->type = type;
  f->label_names = label_names;
  if (type == "histogram") {
    for (const double b : buckets) {
      if (std::isnan(b)) throw std::invalid_argument("metric " + name + ": NaN bucket");
      if (std::isinf(b) && b > 0) continue;  // +Inf is always the implicit last bucket
      f->buckets.push_back(b);
    }
    std::sort(f->buckets.begin(), f->buckets.end());
    f->buckets.erase(std::unique(f->buckets.begin(), f->buckets.end()), f->buckets.end());
  }
  Family& ref = *f;
  families_.emplace(name, std::move(f));
  return ref;
}

void Metrics::counter_add(const std::string& name, const std::string& help,
                          const std::vector<std::string>& label_names, const std::vector<std::string>& label_values,
                          double value) {
  if (!(value >= 0)) throw std::invalid_argument("counter " + name + ": increment must be >= 0");
  Family& f = family(name, help, "counter", label_names, {});
  std::lock_guard lock(f.mu);
  f.at(label_values).value += value;
}

void Metrics::gauge_set(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                        const std::vector<std::string>& label_values, double value) {
  Family& f = family(name, help, "gauge", label_names, {});
  std::lock_guard lock(f.mu);
  f.at(label_values).value = value;
}

void Metrics::histogram_observe(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                                const std::vector<std::string>& label_names,
                                const std::vector<std::string>& label_values, double value) {
  Family& f = family(name, help, "histogram", label_names, buckets);
  std::lock_guard lock(f.mu);
  Family::Series& s = f.at(label_values);
  // First bucket whose upper bound is >= value (le: less than or equal); NaN lands in +Inf.
  const std::size_t b = static_cast<std::size_t>(
      std::lower_bound(f.buckets.begin(), f.buckets.end(), value) - f.buckets.begin());
  ++s.counts[std::isnan(value) ? f.buckets.size() : b];
  s.sum += value;
  ++s.count;
}

std::string Metrics::render() const {
  std::vector<Family*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, f] : families_) families.push_back(f.get());
  }
  std::string out;
  for (Family* f : families) f->render(out);
  return out;
}

}  // namespace tally::rpc
