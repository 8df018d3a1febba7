// A small Prometheus registry: counters, gauges and histograms with label values, rendered
// in the text exposition format (version 0.0.4) for GET /metrics. Thread-safe: metric
// updates take a short lock per family; rendering takes them one by one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tally::rpc {

class Metrics {
 public:
  // Families are declared once (name, help, label names); later calls with the same name
  // return the same family. Names follow Prometheus rules (tally_..._total for counters).
  void counter_add(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                   const std::vector<std::string>& label_values, double value = 1);
  void gauge_set(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& label_values, double value);
  void histogram_observe(const std::string& name, const std::string& help, const std::vector<double>& buckets,
                         const std::vector<std::string>& label_names, const std::vector<std::string>& label_values,
                         double value);

  // The whole registry in Prometheus text format.
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, const std::string& type,
                 const std::vector<std::string>& label_names, const std::vector<double>& buckets);
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Family>> families_;  // shared_ptr: Family is incomplete here
};

}  // namespace tally::rpc
