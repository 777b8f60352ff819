// For test helpers that return a value and so cannot use ASSERT_*: the value of a Result, or a
// recorded failure naming the error and an exception that ends the calling test. GoogleTest reports
// the test as failed and goes on with the next one. Reading the value after a non-fatal EXPECT
// instead crashed the whole test program (and before Result's accessors were checked, read garbage).
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "runtime/core/result.h"

namespace mobiq::test {

template <typename T>
T value_or_fail(Result<T> result, const std::string& what) {
  if (!result.ok()) {
    ADD_FAILURE() << what << ": " << result.status().to_string();
    throw std::runtime_error(what + ": " + result.status().to_string());
  }
  return std::move(result).value();
}

}  // namespace mobiq::test
