// A small YAML writer for JSON values (the Kubernetes manifests of devnet/k8s.h): block style,
// 2-space indentation, strings plain only when no YAML 1.1 reader could take them for anything
// else (a number, a boolean, null, a date), otherwise in JSON's double quotes, which YAML reads
// the same way; multi-line strings as `|` (or `|-`) literal block scalars when they survive
// that unchanged. Whatever it writes, a YAML reader gives back the same JSON value.
//
// Pure functions; thread-safe.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace tally::devnet {

// One document (no "---"), ending in a newline. An empty object or array is written inline.
std::string yaml_document(const boost::json::value& document);
// Every element of `documents` as a document, each introduced by "---".
std::string yaml_documents(const boost::json::array& documents);

}  // namespace tally::devnet
