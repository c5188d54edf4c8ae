#pragma once
// What one turn of the master's event loop decided to say. Journal records
// are made durable first; only then do replies, worker messages and status
// events leave (the journal-before-acknowledge rule).

#include "proto/messages.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace h5io::master {

struct Outbox {
  std::vector<nlohmann::json> journal;
  std::vector<std::pair<std::string, proto::MasterMessage>> to_workers; // routing id, message
  std::vector<proto::StatusEvent> events;
  std::vector<std::string>
      discard; // outputs of failed or cancelled jobs: remove their partial files

  void event(proto::StatusEvent status_event) { events.push_back(std::move(status_event)); }
  void send(const std::string& group, proto::MasterMessage message) {
    to_workers.emplace_back(group, std::move(message));
  }
};

} // namespace h5io::master
