// Result<T>: a value or the Status that explains why there is none.
#pragma once

#include <optional>
#include <utility>

#include "runtime/core/status.h"

namespace mobiq {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = internal_error("Result constructed from an ok Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mobiq

#define MOBIQ_CONCAT_INNER_(a, b) a##b
#define MOBIQ_CONCAT_(a, b) MOBIQ_CONCAT_INNER_(a, b)

// MOBIQ_ASSIGN_OR_RETURN(auto file, MbqFile::open(path));
#define MOBIQ_ASSIGN_OR_RETURN(lhs, expr) \
  MOBIQ_ASSIGN_OR_RETURN_IMPL_(MOBIQ_CONCAT_(mobiq_result_, __LINE__), lhs, expr)
#define MOBIQ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
