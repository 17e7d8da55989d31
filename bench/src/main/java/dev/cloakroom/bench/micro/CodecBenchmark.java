package dev.cloakroom.bench.micro;

import dev.cloakroom.SessionCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Encoding and decoding the attributes the harness's pages keep: a counter, a 4 KB upload, a small profile map. */
@State(Scope.Benchmark)
public class CodecBenchmark {
    private SessionCodec codec;
    private Integer counter;
    private List<String> upload;
    private Map<String, Object> profile;
    private String counterJson;
    private String uploadJson;
    private String profileJson;

    @Setup
    public void setUp() {
        codec = SessionCodec.plain();
        counter = 41;
        upload = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            upload.add(String.format("%03d the quick brown fox jumps over the lazy dog, twice over: abcd", i));
        }
        profile = new LinkedHashMap<>();
        profile.put("name", "Ada Lovelace");
        profile.put("roles", List.of("admin", "user"));
        profile.put("age", 36);
        profile.put("verified", true);
        counterJson = codec.encode(counter);
        uploadJson = codec.encode(upload);
        profileJson = codec.encode(profile);
    }

    @Benchmark
    public String encodeCounter() {
        return codec.encode(counter);
    }

    @Benchmark
    public Object decodeCounter() {
        return codec.decode(counterJson);
    }

    @Benchmark
    public String encodeUpload() {
        return codec.encode(upload);
    }

    @Benchmark
    public Object decodeUpload() {
        return codec.decode(uploadJson);
    }

    @Benchmark
    public String encodeProfile() {
        return codec.encode(profile);
    }

    @Benchmark
    public Object decodeProfile() {
        return codec.decode(profileJson);
    }
}
