// The journal: what is committed comes back in order after a restart; a
// record torn by a crash is dropped, damage elsewhere is refused.

#include "common/util/error.hpp"
#include "master/journal.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace h5io::master {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
protected:
  JournalTest() {
    std::string pattern = (fs::temp_directory_path() / "h5io-journal-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~JournalTest() override { fs::remove_all(dir); }

  std::vector<nlohmann::json> replayed() {
    std::vector<nlohmann::json> records;
    Journal journal(dir, [&](const nlohmann::json& r) { records.push_back(r); });
    return records;
  }
  void append_raw(const std::string& text) {
    std::ofstream(dir / "journal.jsonl", std::ios::app) << text;
  }

  fs::path dir;
};

TEST_F(JournalTest, CommittedRecordsReplayInOrder) {
  {
    Journal journal(dir, [](const nlohmann::json&) {});
    journal.append({{"rec", "a"}});
    journal.append({{"rec", "b"}});
    EXPECT_TRUE(journal.pending());
    journal.commit();
    EXPECT_FALSE(journal.pending());
    journal.append({{"rec", "never committed"}});
  }
  const auto records = replayed();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["rec"], "a");
  EXPECT_EQ(records[1]["rec"], "b");
}

TEST_F(JournalTest, RewriteReplacesEverythingAndAppendsGoOnAfterIt) {
  {
    Journal journal(dir, [](const nlohmann::json&) {});
    for (int i = 0; i < 5; ++i) journal.append({{"rec", "old"}, {"i", i}});
    journal.commit();
    journal.rewrite({{{"rec", "kept"}, {"i", 0}}, {{"rec", "kept"}, {"i", 1}}});
    EXPECT_EQ(journal.records(), 2u);
    journal.append({{"rec", "after"}});
    journal.commit();
    EXPECT_EQ(journal.records(), 3u);
    journal.append({{"rec", "queued"}});
    EXPECT_THROW(journal.rewrite({}), Error) << "a queued record would be lost";
  }
  EXPECT_FALSE(fs::exists(dir / "journal.jsonl.compacting"));
  const auto records = replayed();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], (nlohmann::json{{"rec", "kept"}, {"i", 0}}));
  EXPECT_EQ(records[1]["i"], 1);
  EXPECT_EQ(records[2]["rec"], "after");
}

TEST_F(JournalTest, TornLastRecordIsDroppedAndOverwritten) {
  {
    Journal journal(dir, [](const nlohmann::json&) {});
    journal.append({{"rec", "a"}});
    journal.commit();
  }
  append_raw(R"({"rec":"b","units":[1,2)");
  {
    std::vector<nlohmann::json> records;
    Journal journal(dir, [&](const nlohmann::json& r) { records.push_back(r); });
    ASSERT_EQ(records.size(), 1u);
    journal.append({{"rec", "c"}});
    journal.commit();
  }
  const auto records = replayed();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["rec"], "c");
}

TEST_F(JournalTest, WholeLastRecordWithoutNewlineIsKept) {
  append_raw(R"({"rec":"a"})");
  {
    Journal journal(dir, [](const nlohmann::json&) {});
    journal.append({{"rec", "b"}});
    journal.commit();
  }
  const auto records = replayed();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["rec"], "a");
  EXPECT_EQ(records[1]["rec"], "b");
}

TEST_F(JournalTest, DamageBeforeTheEndIsRefused) {
  append_raw("{\"rec\":\"a\"}\nnot json\n{\"rec\":\"b\"}\n");
  try {
    replayed();
    FAIL() << "a damaged journal was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2 is damaged"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace h5io::master
