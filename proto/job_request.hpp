#pragma once
// Internal to h5io_proto: the fields that say what a job is, shared by a
// client's submit and the master's assign.

#include "proto/field_reader.hpp"
#include "proto/messages.hpp"

namespace h5io::proto::detail {

inline JobRequest read_job_request(const FieldReader& fields) {
  JobRequest job;
  job.input = fields.name("input");
  job.plugin = fields.name("plugin");
  job.output = fields.name("output");
  job.params = fields.params("params");
  return job;
}

inline nlohmann::json job_request_fields(const JobRequest& job) {
  return {
      {"input", job.input}, {"plugin", job.plugin}, {"output", job.output}, {"params", job.params}};
}

} // namespace h5io::proto::detail
