// The master's configuration: defaults, the shipped example, and every kind
// of mistake refused with a message naming the key.

#include "common/util/error.hpp"
#include "master/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.hpp"

namespace h5io::master {
namespace {

using nlohmann::json;

std::string refusal(const json& document) {
  try {
    parse_config(document, "test.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// `object` with `key` set to `value`, or removed when `value` is null.
json changed(json object, const char* key, json value) {
  if (value.is_null())
    object.erase(key);
  else
    object[key] = std::move(value);
  return object;
}

TEST(MasterConfig, DefaultsNeedOnlyAJournal) {
  const MasterConfig config = parse_config({{"journal_dir", "/var/lib/h5io"}}, "test.json");
  EXPECT_EQ(config.client_endpoint, "tcp://127.0.0.1:5555");
  EXPECT_EQ(config.status_endpoint, "tcp://127.0.0.1:5556");
  EXPECT_EQ(config.worker_endpoint, "tcp://127.0.0.1:5557");
  EXPECT_EQ(config.scheduler.heartbeat, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.scheduler.max_attempts, 3);
  EXPECT_EQ(config.check_timeout.count(), 60000);
  EXPECT_EQ(config.max_pending_checks, 32u);
  EXPECT_TRUE(config.watch.empty());
  EXPECT_GE(config.memory_mb, 16) << "a budget from this machine's memory";
  EXPECT_EQ(config.metrics_address, "") << "no metrics endpoint unless asked for";
  EXPECT_EQ(config.scheduler.client_ref_horizon_s, 30 * 86400.0);
}

TEST(MasterConfig, MetricsAddressAndClientRefHorizon) {
  const json base = {{"journal_dir", "/j"}};
  EXPECT_EQ(parse_config(changed(base, "metrics_address", "127.0.0.1:9464"), "t").metrics_address,
            "127.0.0.1:9464");
  EXPECT_EQ(parse_config(changed(base, "metrics_address", "[::1]:9464"), "t").metrics_address,
            "[::1]:9464");
  for (const char* bad : {"9464", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:0",
                          "127.0.0.1:70000", "127.0.0.1:94x4", "http://127.0.0.1:9464"}) {
    const std::string why = refusal(changed(base, "metrics_address", bad));
    EXPECT_NE(why.find("'metrics_address' is '"), std::string::npos) << bad << ": " << why;
    EXPECT_NE(why.find("expected HOST:PORT"), std::string::npos) << bad;
  }
  EXPECT_NE(refusal(changed(base, "metrics_address", 9464)).find("has the wrong type"),
            std::string::npos);
  EXPECT_EQ(parse_config(changed(base, "client_ref_days", 0.5), "t").scheduler.client_ref_horizon_s,
            43200);
  EXPECT_NE(refusal(changed(base, "client_ref_days", -1)).find("'client_ref_days' must be 0 to"),
            std::string::npos);
}

TEST(MasterConfig, ShippedExampleLoads) {
  const MasterConfig config = load_config(H5IO_MASTER_EXAMPLE_CONFIG);
  ASSERT_EQ(config.watch.size(), 2u);
  EXPECT_EQ(config.watch[0].plugin, "tomo_fbp");
  EXPECT_EQ(config.watch[1].finished.kind, FinishedRule::Kind::marker);
  EXPECT_EQ(config.watch[1].finished.marker, ".done");
}

// deploy/examples/master.json is master/examples/master.json with a site's
// endpoints, roots, watch rules and keys: every other key is the same.
TEST(MasterConfig, DeployExampleDiffersFromTheSourceOnlyInSiteKeys) {
  const auto read = [](const char* file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
  };
  json source = read(H5IO_MASTER_EXAMPLE_CONFIG);
  json deployed = read(H5IO_DEPLOY_EXAMPLE_CONFIG);
  for (const char* site : {"client_endpoint", "status_endpoint", "worker_endpoint", "plugin_dirs",
                           "input_roots", "output_roots", "journal_dir", "watch", "curve"}) {
    source.erase(site);
    deployed.erase(site);
  }
  EXPECT_EQ(deployed, source) << "make deploy/examples/master.json follow master/examples/";
  parse_config(read(H5IO_MASTER_EXAMPLE_CONFIG), "source"); // and both are valid
  parse_config(changed(read(H5IO_DEPLOY_EXAMPLE_CONFIG), "curve", nullptr), "deployed");
}

TEST(MasterConfig, MistakesAreRefusedByName) {
  const json base = {{"journal_dir", "/j"}};
  const auto with = [&](const char* key, json value) {
    json document = base;
    document[key] = std::move(value);
    return refusal(document);
  };
  EXPECT_NE(refusal(json::object()).find("'journal_dir' is required"), std::string::npos);
  EXPECT_NE(with("heartbeat", 5).find("unknown key 'heartbeat'"), std::string::npos);
  EXPECT_NE(with("heartbeat_ms", "fast").find("'heartbeat_ms' has the wrong type"),
            std::string::npos);
  EXPECT_NE(with("heartbeat_ms", 1).find("at least 10 ms"), std::string::npos);
  EXPECT_NE(with("heartbeat_liveness", 1).find("heartbeat_liveness"), std::string::npos);
  EXPECT_NE(with("max_attempts", 0).find("max_attempts"), std::string::npos);
  EXPECT_NE(with("check_timeout_ms", 5).find("'check_timeout_ms'"), std::string::npos);
  EXPECT_NE(with("check_timeout_ms", 5).find("at least 100 ms"), std::string::npos);
  EXPECT_NE(with("max_pending_checks", 0).find("'max_pending_checks' must be 1 to 1024"),
            std::string::npos);
  EXPECT_NE(with("max_pending_checks", 5000).find("'max_pending_checks' must be 1 to 1024"),
            std::string::npos);
  EXPECT_NE(with("max_pending_checks", "many").find("'max_pending_checks' has the wrong type"),
            std::string::npos);
  EXPECT_NE(with("input_roots", "/data").find("input_roots"), std::string::npos);
  EXPECT_NE(with("memory_mb", 8).find("'memory_mb' must be at least 16"), std::string::npos);
  EXPECT_NE(with("memory_mb", "lots").find("'memory_mb' has the wrong type"), std::string::npos);
  EXPECT_NE(with("watch", json::object()).find("list of rules"), std::string::npos);
  EXPECT_NE(refusal(json::array()).find("must be a JSON object"), std::string::npos);
}

TEST(MasterConfig, WatchRuleMistakes) {
  const json rule = {{"dir", "/in"}, {"plugin", "tomo_fbp"}, {"output_dir", "/out"}};
  const auto with = [&](const char* key, json value) {
    return refusal({{"journal_dir", "/j"}, {"watch", {changed(rule, key, std::move(value))}}});
  };
  EXPECT_EQ(with("pattern", "*.h5"), "");
  EXPECT_NE(with("plugin", nullptr).find("watch[0]: 'plugin' or 'pipeline'"), std::string::npos);
  EXPECT_NE(with("pipeline", "/in/p.yaml").find("one of the two"), std::string::npos);
  EXPECT_NE(with("pipeline", 3).find("'pipeline' has the wrong type"), std::string::npos);
  EXPECT_NE(with("dir", nullptr).find("'dir' is required"), std::string::npos);
  EXPECT_NE(with("output_dir", nullptr).find("'output_dir' is required"), std::string::npos);
  EXPECT_NE(with("params", json::array()).find("'params'"), std::string::npos);
  EXPECT_NE(with("finished", {{"when", "soon"}}).find("expected renamed, marker or quiet"),
            std::string::npos);
  EXPECT_NE(with("finished", {{"when", "marker"}}).find("'marker'"), std::string::npos);
  EXPECT_NE(with("finished", {{"when", "quiet"}, {"quiet_ms", 5}}).find("at least 100 ms"),
            std::string::npos);
  EXPECT_NE(with("output_suffix", "a/b").find("output_suffix"), std::string::npos);
  EXPECT_NE(with("patern", "*.h5").find("unknown key 'patern'"), std::string::npos);
}

// A watch rule may name a pipeline file: read, checked and turned into steps
// when the configuration is, with the rule's own params (scan.*) added.
TEST(MasterConfig, WatchRuleWithAPipelineFile) {
  const test::ScratchDir dir;
  const auto rule_with = [&](const std::string& text) {
    std::ofstream(dir / "p.yaml") << text;
    return json{{"journal_dir", "/j"},
                {"watch",
                 {{{"dir", "/in"},
                   {"pipeline", (dir / "p.yaml").string()},
                   {"params", {{"scan.angles", "/a"}}},
                   {"output_dir", "/out"}}}}};
  };
  const MasterConfig config =
      parse_config(rule_with("steps:\n  - plugin: normalise\n    save: true\n"
                             "  - plugin: tomo_fbp\n    params: {normalise: false}\n"
                             "params: {scan.data: /d}\n"),
                   "t");
  const WatchRule& rule = config.watch.at(0);
  ASSERT_EQ(rule.steps.size(), 2U);
  EXPECT_EQ(rule.steps[0].plugin, "normalise");
  EXPECT_TRUE(rule.steps[0].save);
  EXPECT_EQ(rule.steps[1].params, (json{{"normalise", false}}));
  EXPECT_EQ(rule.params, (json{{"scan.angles", "/a"}, {"scan.data", "/d"}}));
  EXPECT_TRUE(rule.plugin.empty());

  const std::string misspelt = refusal(rule_with("steps:\n  - plugn: normalise\n"));
  EXPECT_NE(misspelt.find("watch[0]: 'pipeline'"), std::string::npos) << misspelt;
  EXPECT_NE(misspelt.find("did you mean 'plugin'"), std::string::npos) << misspelt;
  std::filesystem::remove(dir / "p.yaml");
  EXPECT_NE(refusal(json{{"journal_dir", "/j"},
                         {"watch",
                          {{{"dir", "/in"},
                            {"pipeline", (dir / "none.yaml").string()},
                            {"output_dir", "/out"}}}}})
                .find("cannot read pipeline file"),
            std::string::npos);
}

TEST(MasterConfig, UnreadableOrInvalidFile) {
  try {
    load_config("/nonexistent/master.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the configuration file"), std::string::npos);
  }
}

TEST(MasterConfig, CurveIsOffByDefault) {
  EXPECT_FALSE(parse_config({{"journal_dir", "/j"}}, "test.json").curve);
}

TEST(MasterConfig, CurveBlock) {
  const test::ScratchDir dir;
  std::filesystem::create_directory(dir / "clients");
  std::filesystem::create_directory(dir / "workers");
  const json curve = {{"secret_key_file", (dir / "master.key_secret").string()},
                      {"authorized_clients_dir", (dir / "clients").string()},
                      {"authorized_workers_dir", (dir / "workers").string()}};
  const MasterConfig config = parse_config({{"journal_dir", "/j"}, {"curve", curve}}, "test.json");
  ASSERT_TRUE(config.curve);
  EXPECT_EQ(config.curve->secret_key_file, dir / "master.key_secret");
  EXPECT_EQ(config.curve->authorized_clients_dir, dir / "clients");
  EXPECT_EQ(config.curve->authorized_workers_dir, dir / "workers");

  const auto with = [&](const char* key, json value) {
    return refusal({{"journal_dir", "/j"}, {"curve", changed(curve, key, std::move(value))}});
  };
  EXPECT_NE(
      with("secret_key_file", nullptr).find("test.json: curve: 'secret_key_file' is required"),
      std::string::npos);
  EXPECT_NE(with("authorized_clients_dir", nullptr).find("'authorized_clients_dir' is required"),
            std::string::npos);
  EXPECT_NE(with("authorized_workers_dir", nullptr).find("'authorized_workers_dir' is required"),
            std::string::npos);
  EXPECT_NE(with("authorised_clients_dir", "x").find("curve: unknown key 'authorised_clients_dir'"),
            std::string::npos);
  EXPECT_NE(with("authorized_workers_dir", (dir / "nowhere").string())
                .find("which is not a directory (it does not exist)"),
            std::string::npos);
  EXPECT_NE(with("authorized_workers_dir", (dir / "clients").string())
                .find("must differ from authorized_clients_dir"),
            std::string::npos);
  EXPECT_NE(with("secret_key_file", 5).find("'secret_key_file' has the wrong type"),
            std::string::npos);
  EXPECT_NE(refusal({{"journal_dir", "/j"}, {"curve", true}}).find("curve must be a JSON object"),
            std::string::npos);
}

} // namespace
} // namespace h5io::master
