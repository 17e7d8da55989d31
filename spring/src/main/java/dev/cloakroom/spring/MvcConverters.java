package dev.cloakroom.spring;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.ValueConverter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.servlet.FlashMap;

/**
 * Spring MVC: flash attributes. {@code SessionFlashMapManager} keeps a {@code List<FlashMap>}; the list is plain data,
 * each {@link FlashMap} (a {@code HashMap} with a target and an expiry) is converted here, and its values are stored as
 * any other attribute value would be: plain values, registered types, converted types.
 */
final class MvcConverters {
    private MvcConverters() {
    }

    static void install(SessionCodec.Builder codec) {
        codec.convert("spring.flash-map", FlashMap.class, ValueConverter.of(
                flash -> {
                    Map<String, Object> data = Data.fields();
                    data.put("attributes", new LinkedHashMap<>(flash));
                    data.put("targetRequestPath", flash.getTargetRequestPath());
                    data.put("targetRequestParams", new LinkedHashMap<>(flash.getTargetRequestParams()));
                    data.put("expirationTime", flash.getExpirationTime());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    FlashMap flash = new FlashMap();
                    flash.putAll(Data.map(fields, "attributes"));
                    flash.setTargetRequestPath(Data.string(fields, "targetRequestPath"));
                    Map<String, Object> params = Data.map(fields, "targetRequestParams");
                    LinkedMultiValueMap<String, String> targetParams = new LinkedMultiValueMap<>();
                    params.keySet().forEach(name -> targetParams.put(name, Data.list(params, name, String.class)));
                    flash.addTargetRequestParams(targetParams);
                    flash.setExpirationTime(Data.number(fields, "expirationTime"));
                    return flash;
                }));
    }
}
