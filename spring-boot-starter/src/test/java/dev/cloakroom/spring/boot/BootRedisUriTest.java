package dev.cloakroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails.Node;
import org.springframework.boot.ssl.SslBundle;

/** Boot's connection details become a URI that Lettuce reads back to the same host, port, credentials and database. */
@Tag("unit")
class BootRedisUriTest {
    private static final String PASSWORD = "p@ss:w/rd #1";

    @Test
    void standaloneWhenPasswordHasReservedCharactersThenLettuceReadsItBack() {
        RedisURI uri = RedisURI.create(BootRedisUri.of(standalone("alice", PASSWORD, null)));

        assertThat(uri.getHost()).isEqualTo("redis.example");
        assertThat(uri.getPort()).isEqualTo(6380);
        assertThat(uri.getDatabase()).isEqualTo(3);
        assertThat(credentials(uri).getUsername()).isEqualTo("alice");
        assertThat(new String(credentials(uri).getPassword())).isEqualTo(PASSWORD);
        assertThat(uri.isSsl()).isFalse();
    }

    @Test
    void standaloneWhenSslBundleSetThenTls() {
        SslBundle bundle = SslBundle.systemDefault();
        assertThat(RedisURI.create(BootRedisUri.of(standalone(null, null, bundle))).isSsl()).isTrue();
    }

    @Test
    void sentinelWhenGivenThenSentinelUriWithMasterAndDatabase() {
        DataRedisConnectionDetails details = new DataRedisConnectionDetails() {
            @Override public String getPassword() { return PASSWORD; }
            @Override public Sentinel getSentinel() {
                return new Sentinel() {
                    @Override public int getDatabase() { return 2; }
                    @Override public String getMaster() { return "mymaster"; }
                    @Override public List<Node> getNodes() { return List.of(new Node("s1", 26379), new Node("s2", 26380)); }
                    @Override public String getUsername() { return null; }
                    @Override public String getPassword() { return null; }
                };
            }
        };

        RedisURI uri = RedisURI.create(BootRedisUri.of(details));

        assertThat(uri.getSentinelMasterId()).isEqualTo("mymaster");
        assertThat(uri.getSentinels()).extracting(RedisURI::getHost, RedisURI::getPort)
                .containsExactly(tuple("s1", 26379), tuple("s2", 26380));
        assertThat(uri.getDatabase()).isEqualTo(2);
        assertThat(new String(credentials(uri).getPassword())).isEqualTo(PASSWORD);
    }

    @Test
    void clusterWhenGivenThenOneUriPerNodeEachWithTheCredentials() {
        DataRedisConnectionDetails details = new DataRedisConnectionDetails() {
            @Override public String getPassword() { return PASSWORD; }
            @Override public Cluster getCluster() { return () -> List.of(new Node("c1", 7001), new Node("c2", 7002)); }
        };

        String[] nodes = BootRedisUri.of(details).split(",");

        assertThat(nodes).hasSize(2);
        RedisURI second = RedisURI.create(nodes[1]);
        assertThat(second.getHost()).isEqualTo("c2");
        assertThat(second.getPort()).isEqualTo(7002);
        assertThat(new String(credentials(second).getPassword())).isEqualTo(PASSWORD);
    }

    @Test
    void masterReplicaWhenGivenThenRefusedNamingTheProperty() {
        DataRedisConnectionDetails details = new DataRedisConnectionDetails() {
            @Override public MasterReplica getMasterReplica() { return () -> List.of(new Node("m", 6379)); }
        };

        assertThatThrownBy(() -> BootRedisUri.of(details)).hasMessageContaining("cloakroom.redis.url");
    }

    private static RedisCredentials credentials(RedisURI uri) {
        return uri.getCredentialsProvider().resolveCredentials().block();
    }

    private static DataRedisConnectionDetails standalone(String username, String password, SslBundle bundle) {
        return new DataRedisConnectionDetails() {
            @Override public String getUsername() { return username; }
            @Override public String getPassword() { return password; }
            @Override public SslBundle getSslBundle() { return bundle; }
            @Override public Standalone getStandalone() { return Standalone.of("redis.example", 6380, 3); }
        };
    }
}
