// Readiness of the components that `GET /healthz` reports on. Each enabled component
// registers a check; the endpoint answers 200 only when every check passes.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace wharf {

class health_registry {
 public:
  using check = std::function<bool()>;

  void add(std::string component, check is_ready) {
    std::lock_guard lock(mutex_);
    checks_.push_back({std::move(component), std::move(is_ready)});
  }

  struct component_status {
    std::string name;
    bool ready;
  };

  std::vector<component_status> evaluate() const {
    std::vector<std::pair<std::string, check>> checks;
    {
      std::lock_guard lock(mutex_);
      checks = checks_;
    }
    std::vector<component_status> out;
    for (const auto& [name, is_ready] : checks) out.push_back({name, is_ready()});
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, check>> checks_;
};

}  // namespace wharf
