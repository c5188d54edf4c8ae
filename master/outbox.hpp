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
  std::vector<std::pair<std::string, nlohmann::json>> events;           // topic, fields
  std::vector<std::string>
      discard; // outputs of failed or cancelled jobs: remove their partial files

  void event(const char* topic, nlohmann::json fields) {
    events.emplace_back(topic, std::move(fields));
  }
  void send(const std::string& group, proto::MasterMessage message) {
    to_workers.emplace_back(group, std::move(message));
  }
};

} // namespace h5io::master
