package io.mqttwebhook.metrics;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * The webhook's metrics as one read-only JMX MBean, {@code io.mqttwebhook:type=Webhook,name=<name>}, with
 * one {@code long} attribute per number of {@link WebhookMetrics#snapshot()} (dots become underscores:
 * {@code endpoint_default_dropped_queue_full}), read when asked, so endpoints added by a reload appear. For
 * brokers without a metric registry of their own (Moquette).
 */
public final class JmxMetrics implements DynamicMBean, AutoCloseable {

    private final WebhookMetrics metrics;
    private final ObjectName name;
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    private JmxMetrics(final WebhookMetrics metrics, final ObjectName name) {
        this.metrics = metrics;
        this.name = name;
    }

    private Map<String, Long> values() {
        final Map<String, Long> byAttribute = new java.util.LinkedHashMap<>();
        metrics.snapshot().forEach((metric, value) -> byAttribute.put(metric.replace('.', '_'), value));
        return byAttribute;
    }

    /** Registers the MBean; a name already taken gets a numbered suffix. */
    public static JmxMetrics register(final WebhookMetrics metrics, final String name) throws JMException {
        for (int i = 0; ; i++) {
            final ObjectName objectName = new ObjectName("io.mqttwebhook:type=Webhook,name="
                    + ObjectName.quote(i == 0 ? name : name + "-" + i));
            final JmxMetrics bean = new JmxMetrics(metrics, objectName);
            try {
                bean.server.registerMBean(bean, objectName);
                return bean;
            } catch (final InstanceAlreadyExistsException taken) {
                // try the next suffix
            }
        }
    }

    public ObjectName objectName() {
        return name;
    }

    @Override
    public Object getAttribute(final String attribute) throws AttributeNotFoundException {
        final Long value = values().get(attribute);
        if (value == null) {
            throw new AttributeNotFoundException(attribute);
        }
        return value;
    }

    @Override
    public void setAttribute(final Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException("read-only: " + attribute.getName());
    }

    @Override
    public AttributeList getAttributes(final String[] attributes) {
        final AttributeList list = new AttributeList();
        final Map<String, Long> values = values();
        for (final String attribute : attributes) {
            final Long value = values.get(attribute);
            if (value != null) {
                list.add(new Attribute(attribute, value));
            }
        }
        return list;
    }

    @Override
    public AttributeList setAttributes(final AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(final String actionName, final Object[] params, final String[] signature) {
        throw new UnsupportedOperationException("no operations");
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        final MBeanAttributeInfo[] attributes = values().keySet().stream()
                .map(a -> new MBeanAttributeInfo(a, "long", a.replace('_', ' '), true, false, false))
                .toArray(MBeanAttributeInfo[]::new);
        return new MBeanInfo(JmxMetrics.class.getName(), "mqtt-webhook metrics", attributes, null, null, null);
    }

    @Override
    public void close() {
        try {
            server.unregisterMBean(name);
        } catch (final JMException alreadyGone) {
            // unregistered already
        }
    }
}
