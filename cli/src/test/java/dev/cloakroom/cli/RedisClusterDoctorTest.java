package dev.cloakroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.testkit.LocalRedisCluster;
import dev.cloakroom.testkit.RedisServerProcess;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code cloakroom doctor} on a real three-master Redis Cluster that this class starts: every master is checked by name. */
@Tag("server")
class RedisClusterDoctorTest {
    private static LocalRedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> settings() {
        return Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", cluster.uri(), "SESSION_STORE_TIMEOUT_MS", "1500");
    }

    @Test
    void doctorWhenEveryMasterIsFineThenEachIsCheckedAndPasses() {
        Cli.Result result = new Cli(settings()).run("doctor", "--json");

        Map<String, Boolean> checks = checks(result.json());
        for (RedisServerProcess node : cluster.nodes()) {
            assertThat(checks).containsEntry(master(node) + " reachable", true).containsEntry(master(node) + " eviction policy", true);
        }
        assertThat(result.code()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void doctorWhenOneMasterMayEvictAndAnotherHangsThenItNamesBothAndOnlyThem() {
        RedisServerProcess evicting = cluster.nodes().get(0);
        RedisServerProcess hung = cluster.nodes().get(1);
        RedisServerProcess fine = cluster.nodes().get(2);
        try {
            assertThat(evicting.cli("config", "set", "maxmemory-policy", "allkeys-lru").trim()).isEqualTo("OK");
            assertThat(hung.cli("client", "pause", "6000", "ALL").trim()).isEqualTo("OK");

            Cli.Result result = new Cli(settings()).run("doctor", "--json");

            Map<String, Boolean> checks = checks(result.json());
            assertThat(checks).containsEntry(master(evicting) + " eviction policy", false)
                    .containsEntry(master(hung) + " reachable", false)
                    .doesNotContainKey(master(hung) + " eviction policy")
                    .containsEntry(master(fine) + " reachable", true)
                    .containsEntry(master(fine) + " eviction policy", true);
            assertThat(result.out()).contains("allkeys-lru");
            // the probe load lands on one master: the hung one makes the store unavailable (3), any other not (1)
            assertThat(result.code()).isIn(ExitCodes.FAILED, ExitCodes.UNAVAILABLE);
        } finally {
            evicting.cli("config", "set", "maxmemory-policy", "noeviction");
            hung.cli("ping"); // answered once the pause is over
        }
    }

    private static String master(RedisServerProcess node) {
        return "master 127.0.0.1:" + node.port();
    }

    private static Map<String, Boolean> checks(JsonNode report) {
        Map<String, Boolean> checks = new HashMap<>();
        report.get("checks").forEach(check -> checks.put(check.get("name").asText(), check.get("ok").asBoolean()));
        return checks;
    }
}
