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

  // Every access is checked: reading the value of an error is a bug in the caller, and it stops the
  // process with the status printed (checked_failure) instead of reading an empty optional, which is
  // undefined behaviour that used to surface far away or not at all. One predictable branch.
  T& value() & { return checked(); }
  const T& value() const& { return checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return checked(); }

  // The value, or `fallback` when this is an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  T& checked() {
    if (!value_.has_value()) [[unlikely]]
      bad_result_access(status_);
    return *value_;
  }
  const T& checked() const {
    if (!value_.has_value()) [[unlikely]]
      bad_result_access(status_);
    return *value_;
  }

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
